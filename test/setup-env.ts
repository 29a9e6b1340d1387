// Runs in every test worker before the test file.
import { refuseTangoLookups } from './support/no-public-tango';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
// No test resolves Tango's public host: a worker under test talks to a simulator or to nothing.
refuseTangoLookups();
