import { Logger } from '@nestjs/common';
import { logLevel, type logCreator } from 'kafkajs';

/** Routes kafkajs's own logging to the application logger (its INFO chatter becomes debug). */
export const kafkaLogCreator: logCreator = () => {
  const logger = new Logger('kafkajs');
  return ({ level, log }) => {
    const { message, ...fields } = log;
    switch (level) {
      case logLevel.ERROR:
        logger.error(fields, message);
        break;
      case logLevel.WARN:
        logger.warn(fields, message);
        break;
      case logLevel.INFO:
      case logLevel.DEBUG:
        logger.debug(fields, message);
        break;
      case logLevel.NOTHING:
        break;
    }
  };
};
