// Runs in every test worker before the test file.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
