#!/usr/bin/env node
// Prints the messages of a Kafka topic as they arrive (from the beginning), one JSON line each.
// Usage: npm run watch -- tango.contracts.changes.v1 [brokers]
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const topic = process.argv[2];
const brokers = (process.argv[3] || process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
if (!topic) {
  process.stderr.write('usage: npm run watch -- <topic> [brokers]\n');
  process.exit(2);
}

async function main() {
  const kafka = new Kafka({ clientId: 'tango-sync-watch', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `tango-sync-watch-${process.pid}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const stop = async () => {
    await consumer.disconnect();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const value = message.value ? message.value.toString('utf8') : null;
      let parsed = value;
      try {
        parsed = value === null ? null : JSON.parse(value);
      } catch {
        // not JSON: print as text
      }
      process.stdout.write(
        `${JSON.stringify({ partition, offset: message.offset, key: message.key ? message.key.toString('utf8') : null, value: parsed })}\n`,
      );
    },
  });
}

main().catch((error) => {
  process.stderr.write(`watch-topic: ${error.message}\n`);
  process.exit(1);
});
