import { Module } from '@nestjs/common';
import { TangoRequestBudget } from './request-budget';
import { TangoClient } from './tango-client';

/** Tango's REST API behind one adapter (the only importer of undici) and the shared request budget. */
@Module({
  providers: [TangoRequestBudget, TangoClient],
  exports: [TangoClient, TangoRequestBudget],
})
export class TangoModule {}
