import { Global, Module } from '@nestjs/common';
import { KafkaAdapter } from './kafka-adapter';

@Global()
@Module({
  providers: [KafkaAdapter],
  exports: [KafkaAdapter],
})
export class KafkaModule {}
