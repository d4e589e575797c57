import { Module, type DynamicModule } from '@nestjs/common';
import type { GatewayConfig } from '../config/config';
import { DemoController } from './demo.controller';

/**
 * The demo page at `/demo` (README "Demo page"), registered only when DEMO_PAGE=true: with the
 * flag off the routes do not exist at all, so production serves nothing of it.
 */
@Module({})
export class DemoModule {
  static register(config: Pick<GatewayConfig, 'demoPage'>): DynamicModule {
    return { module: DemoModule, controllers: config.demoPage ? [DemoController] : [] };
  }
}
