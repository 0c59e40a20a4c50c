// Drives the real VS Code workbench (code-server) in headless chromium, the way a person would:
// open a folder, open a file from the explorer, point at a word, read the hover widget.
import { join } from 'path';
import { createScratch, installVsix, launchChromium, log, sleep, startCodeServer } from './lib.mjs';
import { provision } from './provision.mjs';

/**
 * Starts code-server with the extension, opens `folder` in headless chromium and returns the
 * page. The extension comes from `vsix` (installed with code-server's CLI, as a user would) or,
 * without one, from `developmentPath` as a development extension. Call close() at the end.
 */
export async function openWorkbench({ folder, vsix, developmentPath, viewport = { width: 1280, height: 760 } }) {
  provision(['vscode'], { quiet: true });
  const scratch = createScratch('workbench');
  try {
    const userDataDir = scratch.sub('user-data');
    const extensionsDir = scratch.sub('extensions');
    if (vsix) installVsix(scratch, { vsix, userDataDir, extensionsDir });
    const dev = !vsix && developmentPath;
    const server = await startCodeServer(scratch, { userDataDir, extensionsDir, smokeTestDriver: Boolean(dev) });
    const browser = await launchChromium(scratch);
    const page = await browser.newPage({ viewport });
    const payload = dev ? [['extensionDevelopmentPath', server.remoteUri(developmentPath)]] : undefined;
    await page.goto(server.url(folder, payload));
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    return { page, server, scratch, close: () => scratch.cleanup() };
  } catch (error) {
    await scratch.cleanup();
    throw error;
  }
}

/** Opens a file by clicking it in the explorer; waits until its editor shows `expectText`. */
export async function openFromExplorer(page, name, expectText) {
  const row = page.locator('.explorer-folders-view .monaco-list-row').filter({ hasText: name }).first();
  await row.waitFor({ timeout: 30000 });
  await row.click();
  await page.locator('.tabs-container .tab.active').filter({ hasText: name }).waitFor({ timeout: 30000 });
  await page.waitForFunction(
    (text) => [...document.querySelectorAll('.editor-instance .monaco-editor .view-line')].some((l) => l.textContent.replace(/\u00a0/g, ' ').includes(text)),
    expectText,
    { timeout: 30000 },
  );
}

/**
 * The on-screen box of `word` inside the first rendered line containing `needle`. Monaco renders
 * spaces as U+00A0 and splits tokens into spans as it likes, so this measures a DOM Range over
 * the line's text nodes instead of looking for an element.
 */
export async function wordBox(page, needle, word) {
  return page.evaluate(
    ({ needle, word }) => {
      for (const line of document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')) {
        const text = line.textContent.replace(/\u00a0/g, ' ');
        const at = text.indexOf(needle);
        if (at < 0) continue;
        const start = at + needle.indexOf(word);
        const end = start + word.length;
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        let offset = 0;
        let started = false;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const length = node.textContent.length;
          if (!started && start < offset + length) {
            range.setStart(node, start - offset);
            started = true;
          }
          if (started && end <= offset + length) {
            range.setEnd(node, end - offset);
            const r = range.getBoundingClientRect();
            return { x: r.x, y: r.y, width: r.width, height: r.height };
          }
          offset += length;
        }
      }
      return null;
    },
    { needle, word },
  );
}

/** Text of every visible hover widget. */
export async function visibleHoverText(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.monaco-hover:not(.hidden)')]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
      })
      .map((el) => el.innerText)
      .join('\n'),
  );
}

/**
 * Points the mouse at `word` (inside `needle`) until a hover containing `expect` shows, as a
 * person would while the language server starts. Returns the hover's text, or what showed last.
 */
export async function hoverWord(page, needle, word, expect, timeoutMs = 45000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const box = await wordBox(page, needle, word);
    if (!box) throw new Error(`${JSON.stringify(needle)} is not on screen`);
    await page.mouse.move(5, 5);
    await sleep(150);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 3 });
    const until = Math.min(deadline, Date.now() + 3000);
    while (Date.now() < until) {
      last = await visibleHoverText(page);
      if (expect.test(last)) return last;
      await sleep(100);
    }
  }
  return last;
}

/** Texts of the notification toasts on screen. */
export async function notificationTexts(page) {
  return page.evaluate(() => [...document.querySelectorAll('.notifications-toasts .notification-toast')].map((el) => el.innerText));
}

export async function screenshot(page, path) {
  await page.screenshot({ path });
  log(`screenshot: ${path}`);
}

export const scratchFile = (session, name) => join(session.scratch.dir, name);
