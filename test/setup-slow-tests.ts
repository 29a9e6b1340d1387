// Integration and e2e tests talk to real services: consumer-group joins alone take a few seconds.
jest.setTimeout(60_000);
