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

/**
 * Opens a file by clicking it in the explorer; waits until its editor shows `expectText` (when
 * given: an editor opened before keeps its scroll position, so a later visit may not show it).
 */
export async function openFromExplorer(page, name, expectText) {
  const row = page.locator('.explorer-folders-view .monaco-list-row').filter({ hasText: name }).first();
  await row.waitFor({ timeout: 30000 });
  await row.click();
  await page.locator('.tabs-container .tab.active').filter({ hasText: name }).waitFor({ timeout: 30000 });
  if (!expectText) {
    await page.locator('.editor-instance .monaco-editor .view-line').first().waitFor({ timeout: 30000 });
    return;
  }
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

/**
 * The on-screen box of `word` (its `nth` occurrence, 0-based) on editor line `lineNumber`
 * (1-based, as the gutter shows it), or null when that line is not rendered. The line is found
 * through the gutter's line number, which sits at the same `top` as the line's text.
 */
export async function lineWordBox(page, lineNumber, word, nth = 0) {
  return page.evaluate(
    ({ lineNumber, word, nth }) => {
      const editor = [...document.querySelectorAll('.editor-instance .monaco-editor')].find((e) => e.getBoundingClientRect().width > 0);
      if (!editor) return null;
      const number = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')].find((n) => n.textContent.trim() === String(lineNumber));
      if (!number) return null;
      const top = number.parentElement.style.top;
      const line = [...editor.querySelectorAll('.view-lines .view-line')].find((l) => l.style.top === top);
      if (!line) return null;
      const text = line.textContent.replace(/\u00a0/g, ' ');
      let start = -1;
      for (let i = 0; i <= nth; i++) start = text.indexOf(word, start + 1);
      if (start < 0) return { missing: true, text };
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
          return { x: r.x, y: r.y, width: r.width, height: r.height, text };
        }
        offset += length;
      }
      return null;
    },
    { lineNumber, word, nth },
  );
}

/** The text of editor line `lineNumber` as rendered (spaces as spaces), or null when it is not on screen. */
export async function lineText(page, lineNumber) {
  const box = await lineWordBox(page, lineNumber, '');
  return box ? box.text : null;
}

/** Scrolls the active editor so that `lineNumber` is on screen (Ctrl+G, as a person would), and waits for it. */
export async function revealLine(page, lineNumber) {
  if (await lineWordBox(page, lineNumber, '')) return;
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`:${lineNumber}`);
  await page.keyboard.press('Enter');
  await waitUntil(`line ${lineNumber} on screen`, async () => (await lineWordBox(page, lineNumber, '')) || undefined, 10000);
}

/** Clicks into `word` on line `lineNumber` (after `offset` characters of it), putting the cursor there. */
export async function clickInto(page, lineNumber, word, offset = 1) {
  await revealLine(page, lineNumber);
  const box = await lineWordBox(page, lineNumber, word);
  if (!box || box.missing) throw new Error(`line ${lineNumber} has no ${JSON.stringify(word)}: ${JSON.stringify(box?.text)}`);
  const charWidth = word.length ? box.width / word.length : 0;
  await page.mouse.click(box.x + charWidth * offset + 1, box.y + box.height / 2);
}

/** Polls until probe returns something other than undefined; throws with `what` after the timeout. */
export async function waitUntil(what, probe, timeoutMs = 15000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last !== undefined) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Runs a command from the command palette (F1), by its title as the palette shows it. */
export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: title }).first();
  await row.waitFor({ timeout: 10000 });
  await row.click();
}

/** The `.squiggly-<severity>` decorations that overlap a box on screen. */
export async function squigglesOver(page, box, severity = 'error') {
  if (!box || box.missing) throw new Error(`squigglesOver: no box on screen (${JSON.stringify(box)})`);
  return page.evaluate(
    ({ box, severity }) =>
      [...document.querySelectorAll(`.editor-instance .view-overlays .squiggly-${severity}`)].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.x < box.x + box.width && r.x + r.width > box.x && r.y < box.y + box.height && r.y + r.height > box.y;
      }).length,
    { box, severity },
  );
}

/** The rows of the Problems panel: the file rows, the markers (with their aria-labels) and their related locations. */
export async function problemsRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.markers-panel .monaco-list-row')].map((row) => ({
      label: row.getAttribute('aria-label') ?? '',
      text: row.innerText.replace(/\u00a0/g, ' '),
    })),
  );
}

/** The rows the suggest widget renders (only those in view: the list is virtual), by their index in the list. */
export async function suggestRows(page) {
  return page.evaluate(() => {
    const widget = [...document.querySelectorAll('.suggest-widget')].find((w) => w.getBoundingClientRect().height > 0 && getComputedStyle(w).display !== 'none');
    if (!widget) return undefined;
    return [...widget.querySelectorAll('.monaco-list-row')]
      .map((row) => ({
        index: Number(row.getAttribute('data-index')),
        label: row.querySelector('.label-name')?.textContent ?? row.getAttribute('aria-label') ?? '',
        focused: row.classList.contains('focused'),
        details: row.querySelector('.details-label')?.textContent ?? '',
        // The kind's icon: symbol-method/function for the server's kfuncs, symbol-text for VS Code's word-based guesses.
        icon: [...(row.querySelector('.suggest-icon')?.classList ?? [])].find((c) => c.startsWith('codicon-symbol-'))?.slice('codicon-'.length) ?? '',
      }))
      .sort((a, b) => a.index - b.index);
  });
}

/** The text of the suggest widget's details pane (the documentation of the focused item), if shown. */
export async function suggestDetails(page) {
  return page.evaluate(() => {
    const details = [...document.querySelectorAll('.suggest-details')].find((d) => d.getBoundingClientRect().height > 0);
    return details ? details.innerText : '';
  });
}

/** The rows of the code action menu (light bulb, Ctrl+.), or undefined when it is not open. */
export async function codeActionRows(page) {
  return page.evaluate(() => {
    const widget = [...document.querySelectorAll('.action-widget')].find((w) => w.getBoundingClientRect().height > 0);
    if (!widget) return undefined;
    return [...widget.querySelectorAll('.monaco-list-row')].map((row) => ({
      text: row.innerText.replace(/\u00a0/g, ' ').trim(),
      action: row.classList.contains('action'),
      focused: row.classList.contains('focused'),
    }));
  });
}

/** The text of the "Inspect Editor Tokens and Scopes" widget, or '' when it is not shown. */
export async function tokenInspectText(page) {
  return page.evaluate(() => {
    const widget = [...document.querySelectorAll('.token-inspect-widget')].find((w) => w.getBoundingClientRect().height > 0);
    return widget ? widget.innerText : '';
  });
}
