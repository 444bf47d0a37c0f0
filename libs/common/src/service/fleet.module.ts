import { Global, Module, type DynamicModule } from '@nestjs/common';
import { HealthController } from '../http/health.controller';
import { FleetContext } from './fleet-context';

/** Makes the FleetContext injectable everywhere and serves /health. */
@Global()
@Module({})
export class FleetModule {
  static forContext(context: FleetContext): DynamicModule {
    return {
      module: FleetModule,
      controllers: [HealthController],
      providers: [{ provide: FleetContext, useValue: context }],
      exports: [FleetContext],
    };
  }
}
