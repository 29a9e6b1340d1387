import { Module } from '@nestjs/common';
import { MirrorRepository } from './mirror.repository';
import { MirrorWriter } from './mirror-writer';

/** The mirror tables and their one writer (mirror rows, history and change events in one transaction). */
@Module({
  providers: [MirrorRepository, MirrorWriter],
  exports: [MirrorRepository, MirrorWriter],
})
export class MirrorModule {}
