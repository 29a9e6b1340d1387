#!/usr/bin/env node
// Real readiness check for a Kafka broker: connects, asks for cluster metadata and the topic list.
// Usage: node scripts/kafka-probe.cjs 127.0.0.1:9092 [timeoutMs]. Exit 0 when the broker answered.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const brokers = (process.argv[2] || '127.0.0.1:9092').split(',');
const timeoutMs = Number(process.argv[3] || 3000);

async function main() {
  const kafka = new Kafka({
    clientId: 'tango-sync-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const timer = setTimeout(() => {
    process.stderr.write(`kafka-probe: no answer from ${brokers.join(',')} within ${timeoutMs} ms\n`);
    process.exit(1);
  }, timeoutMs + 1000);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.listTopics();
    process.stdout.write(
      `kafka-probe: ${cluster.brokers.length} broker(s), controller ${cluster.controller}\n`,
    );
    await admin.disconnect();
    clearTimeout(timer);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`kafka-probe: ${brokers.join(',')} not ready: ${error.message}\n`);
    process.exit(1);
  }
}
void main();
