// What a person reads: Chinese names from the catalogue, times in Asia/Shanghai (the API stores UTC).

export const TIME_ZONE = "Asia/Shanghai";
const SHANGHAI_OFFSET = "+08:00"; // China has kept UTC+8 without daylight saving since 1991

let catalogue = null;

export async function loadCatalogue() {
  const response = await fetch("catalogue.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`名称表无法载入（HTTP ${response.status}）`);
  catalogue = await response.json();
  return catalogue;
}

export function names(table) { return catalogue[table]; }

export function nameOf(table, key) {
  if (key === null || key === undefined || key === "") return "";
  return catalogue[table][key] || key;
}

export function levelText(level) {
  return level ? `${level}级（${nameOf("levels", level)}）` : "待定级";
}

export function missingText(missing) {
  if (!Array.isArray(missing)) return "";
  return missing.length ? `缺少要素：${missing.join("、")}` : "要素齐全";
}

const localFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

/** "2026-11-28T01:40:00Z" → "2026-11-28 09:40" (Beijing time). */
export function localTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  const parts = Object.fromEntries(localFormat.formatToParts(when).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export function clockTime(date) {
  return new Intl.DateTimeFormat("zh-CN", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit",
    second: "2-digit", hourCycle: "h23" }).format(date);
}

/** The value of an <input type="datetime-local">, read as Beijing time → ISO 8601 with its offset. */
export function fromLocalInput(value) {
  return value ? `${value.length === 16 ? `${value}:00` : value}${SHANGHAI_OFFSET}` : null;
}
