// SMSC simulator for notify's SMPP tests (SMPP 3.4 server, npm `smpp`).
// Usage: node smsc.js <port> <system_id> <password> <log.jsonl>
// Logs one JSON line per event; accepts submit_sm with a message id and, when a receipt is asked
// for, sends a deliver_sm receipt. Destinations ending in 98 are undeliverable, 99 are throttled.
'use strict';
const fs = require('fs');
const smpp = require('smpp');

const [port, systemId, password, logPath] = process.argv.slice(2);
const log = (event) => fs.appendFileSync(logPath, JSON.stringify(event) + '\n');
let nextId = 1000;

const smscDate = () => {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
};

const server = smpp.createServer({}, (session) => {
  const bind = (pdu) => {
    session.pause();
    if (pdu.system_id !== systemId || pdu.password !== password) {
      log({ event: 'bind_refused', command: pdu.command, system_id: pdu.system_id });
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      session.close();
      return;
    }
    log({ event: 'bind', command: pdu.command, system_id: pdu.system_id });
    session.send(pdu.response());
    session.resume();
  };
  session.on('bind_transceiver', bind);
  session.on('bind_transmitter', bind);
  session.on('enquire_link', (pdu) => { log({ event: 'enquire_link' }); session.send(pdu.response()); });
  session.on('unbind', (pdu) => { log({ event: 'unbind' }); session.send(pdu.response()); session.close(); });
  session.on('submit_sm', (pdu) => {
    const dest = pdu.destination_addr;
    if (dest.endsWith('99')) {
      log({ event: 'throttled', dest });
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    const id = String(nextId++);
    const sm = pdu.short_message;
    const text = typeof sm === 'string' ? sm : (sm && sm.message !== undefined ? sm.message : String(sm));
    const udh = sm && sm.udh ? sm.udh.map((b) => Buffer.from(b).toString('hex')) : [];
    log({ event: 'submit_sm', dest, source: pdu.source_addr, text, udh, data_coding: pdu.data_coding,
          esm_class: pdu.esm_class, registered_delivery: pdu.registered_delivery, message_id: id });
    session.send(pdu.response({ message_id: id }));
    if (pdu.registered_delivery & 0x01) {
      const undeliverable = dest.endsWith('98');
      const stat = undeliverable ? 'UNDELIV' : 'DELIVRD';
      const date = smscDate();
      setTimeout(() => {
        session.deliver_sm({
          source_addr: dest, destination_addr: pdu.source_addr, esm_class: 0x04,
          short_message: `id:${id} sub:001 dlvrd:${undeliverable ? '000' : '001'} submit date:${date} done date:${date} stat:${stat} err:000 text:`,
          receipted_message_id: id, message_state: undeliverable ? 5 : 2,
        });
        log({ event: 'receipt_sent', message_id: id, stat });
      }, 50);
    }
  });
  session.on('error', (err) => log({ event: 'session_error', error: String(err) }));
});
server.listen(Number(port), '127.0.0.1', () => log({ event: 'listening', port: Number(port) }));
process.on('SIGTERM', () => { server.close(); process.exit(0); });
