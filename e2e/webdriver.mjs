// A minimal W3C WebDriver (classic, HTTP) client for Debian's WebKitGTK driver
// (`webkit2gtk-driver`: /usr/bin/WebKitWebDriver driving WebKitGTK's MiniBrowser), which
// playwright-core cannot drive (its WebKit is a patched build it would download). Only the few
// commands the WebKit smoke test needs: https://www.w3.org/TR/webdriver2/
import { spawn } from 'node:child_process';
import net from 'node:net';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.WEBKIT_BROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts WebKitWebDriver and opens a MiniBrowser session (it needs a display: run under Xvfb). */
export async function startWebKit() {
  const port = await freePort();
  const driver = spawn(DRIVER, [`--port=${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  driver.stderr.on('data', (d) => { stderr += d; });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  };
  for (let i = 0; ; i++) {
    try {
      await call('GET', '/status');
      break;
    } catch (e) {
      if (i > 100) throw new Error(`WebKitWebDriver did not start: ${e.message}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const session = await call('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      },
    },
  });
  const s = `/session/${session.sessionId}`;
  const element = async (css) => (await call('POST', `${s}/element`, { using: 'css selector', value: css }))[ELEMENT];
  return {
    version: session.capabilities.browserVersion,
    goto: (url) => call('POST', `${s}/url`, { url }),
    /** Runs `script` (a function body) with `args`; `await` works inside. */
    run: (script, ...args) => call('POST', `${s}/execute/async`, {
      script: `const done = arguments[arguments.length - 1];
        (async (...args) => { ${script} })(...Array.from(arguments).slice(0, -1)).then(done, (e) => done({ thrown: String(e) }));`,
      args,
    }),
    /** Waits until `script` returns something truthy, and returns it. */
    async until(script, timeoutMs, ...args) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const got = await this.run(script, ...args);
        if (got) return got;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${script}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    click: async (css) => call('POST', `${s}/element/${await element(css)}/click`, {}),
    /** Types a path into a file input: the driver sets the file on it, as a pick would. */
    chooseFile: async (css, file) => call('POST', `${s}/element/${await element(css)}/value`, { text: file }),
    screenshot: async () => Buffer.from(await call('GET', `${s}/screenshot`), 'base64'),
    async close() {
      await call('DELETE', s).catch(() => {});
      driver.kill();
    },
  };
}
