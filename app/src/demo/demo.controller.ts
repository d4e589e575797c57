import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_PAGE_HTML } from './demo-page.html';

/** Files of `dist/sdk/` (built by scripts/build-sdk-bundle.js): the page's app, and the SDK's script-tag bundle. */
const ASSETS = new Set(['gateway-client.js', 'gateway-client.js.map', 'demo-app.js', 'demo-app.js.map']);

/**
 * `dist/sdk/` seen from this file: compiled it lives in dist/app/src/demo, under the test
 * runner it is app/src/demo; both sit three levels below the folder that holds `dist/`'s sdk.
 */
const SDK_DIRS = [join(__dirname, '..', '..', '..', 'sdk'), join(__dirname, '..', '..', '..', 'dist', 'sdk')];

const HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

@Controller('demo')
export class DemoController {
  @Get()
  page(@Res() res: Response): void {
    res.set(HEADERS).type('html').send(DEMO_PAGE_HTML);
  }

  @Get(':file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    const dir = SDK_DIRS.find((d) => existsSync(join(d, 'demo-app.js')));
    if (!ASSETS.has(file) || !dir) {
      res.status(404).type('text').send(dir ? 'not found\n' : 'demo bundle not built: run `make build`\n');
      return;
    }
    res.set(HEADERS).type(file.endsWith('.map') ? 'application/json' : 'application/javascript').sendFile(join(dir, file));
  }
}
