import { Global, Module } from '@nestjs/common';
import { KafkaAdapter } from './kafka-adapter';
import { KafkaMetrics } from './kafka-metrics';

@Global()
@Module({
  providers: [KafkaAdapter, KafkaMetrics],
  exports: [KafkaAdapter],
})
export class KafkaModule {}
