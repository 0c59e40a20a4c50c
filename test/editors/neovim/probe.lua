-- Run by test/editors/neovim.mjs after the user's init.lua: `nvim --headless FILE -c 'luafile probe.lua'`,
-- in a scratch copy of examples/ (buffers are edited, never written).
-- Hovers `__kptr` the way a user does (K if the config maps it, else :lua vim.lsp.buf.hover()),
-- reads the floating window, optionally opens more buffers; then opens mistakes.bpf.c and reads
-- what Neovim holds in vim.diagnostic, applies a quick fix through vim.lsp.buf.code_action() (the
-- user's vim.ui.select picks it), asks for completion after `bpf_cpumask_` (and, if the config
-- sets the LSP omnifunc, completes with <C-x><C-o> in insert mode), writes JSON to
-- $BPF_KPTR_PROBE_OUT, quits.
local out = assert(os.getenv('BPF_KPTR_PROBE_OUT'), 'BPF_KPTR_PROBE_OUT is not set')
local use_k = os.getenv('BPF_KPTR_PROBE_HOVER') == 'K'
local more = os.getenv('BPF_KPTR_PROBE_MORE') -- files to open afterwards, separated by ':'
local result = { checks = {} }

local function clients_of(buf)
  local ids = {}
  for id, _ in pairs(vim.lsp.buf_get_clients(buf)) do table.insert(ids, id) end
  table.sort(ids)
  return ids
end

local function floats()
  local wins = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then table.insert(wins, win) end
  end
  return wins
end

local function hover_text()
  for _, win in ipairs(floats()) do vim.api.nvim_win_close(win, true) end
  if use_k then vim.cmd('normal K') else vim.lsp.buf.hover() end
  local text = ''
  vim.wait(5000, function()
    for _, win in ipairs(floats()) do
      local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
      text = table.concat(lines, '\n')
      if text ~= '' then return true end
    end
    return false
  end, 20)
  return text
end

local function ms_since(t) return math.floor((vim.loop.hrtime() - t) / 1e6) end

-- What vim.diagnostic holds for a buffer, in line order.
local function diagnostics_of(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(list, {
      code = d.code, line = d.lnum + 1, col = d.col + 1, end_line = d.end_lnum + 1, end_col = d.end_col + 1,
      source = d.source, severity = d.severity, message = d.message,
      has_data = type(d.user_data) == 'table' and type(d.user_data.lsp) == 'table' and d.user_data.lsp.data ~= nil,
    })
  end
  table.sort(list, function(a, b) return a.line < b.line or (a.line == b.line and a.col < b.col) end)
  return list
end

local function codes_of(list)
  local codes = {}
  for _, d in ipairs(list) do table.insert(codes, tostring(d.code)) end
  return table.concat(codes, ',')
end

local function diagnostics_and_quickfix()
  vim.cmd('edit mistakes.bpf.c')
  local buf = vim.api.nvim_get_current_buf()
  local t0 = vim.loop.hrtime()
  vim.wait(15000, function() return #vim.diagnostic.get(buf) >= 4 end, 20)
  result.diagnostics_ms = ms_since(t0)
  result.diagnostics = diagnostics_of(buf)

  -- The quick fix, as a user runs it: cursor on the leak, :lua vim.lsp.buf.code_action(), pick
  -- the fix in the menu (vim.ui.select, which pickers such as telescope replace).
  local leak
  for _, d in ipairs(result.diagnostics) do if d.code == 'kptr-leak' then leak = d end end
  if not leak then return end
  vim.api.nvim_win_set_cursor(0, { leak.line, leak.col - 1 })
  local quickfix = {}
  result.quickfix = quickfix
  local original_select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    quickfix.offered = {}
    local chosen
    for i, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      quickfix.offered[i] = title
      if not chosen and title:match('^Release `mask`') then chosen = i end
    end
    on_choice(chosen and items[chosen] or nil, chosen)
  end
  local before = vim.api.nvim_buf_get_changedtick(buf)
  vim.lsp.buf.code_action()
  vim.wait(5000, function() return quickfix.offered ~= nil end, 20)
  vim.ui.select = original_select
  local t1 = vim.loop.hrtime()
  quickfix.applied = vim.wait(3000, function() return vim.api.nvim_buf_get_changedtick(buf) ~= before end, 20)
  vim.wait(10000, function()
    local codes = codes_of(diagnostics_of(buf))
    return quickfix.applied and not codes:match('kptr%-leak') and #vim.diagnostic.get(buf) == 3
  end, 20)
  quickfix.ms = ms_since(t1)
  quickfix.after = diagnostics_of(buf)
  quickfix.lines = vim.api.nvim_buf_get_lines(buf, leak.line - 2, leak.line + 4, false)
end

local function completion()
  vim.cmd('edit cpumask_per_task.bpf.c')
  local buf = vim.api.nvim_get_current_buf()
  local row = vim.fn.search('bpf_cpumask_set_cpu(bpf_get_smp_processor_id(), mask);', 'w')
  if row == 0 then error('the bpf_cpumask_set_cpu line is missing') end
  local typed = '\tbpf_cpumask_'
  vim.api.nvim_buf_set_lines(buf, row, row, false, { typed })
  vim.api.nvim_win_set_cursor(0, { row + 1, #typed })
  local t0 = vim.loop.hrtime()
  -- The position after the typed text, as in insert mode (the normal-mode cursor cannot be there).
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf), position = { line = row, character = #typed } }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, 5000) or {}
  local c = { ms = ms_since(t0), labels = {}, items = {} }
  result.completion = c
  for _, response in pairs(responses) do
    if response.err then c.error = vim.inspect(response.err) end
    if response.result then
      -- What the LSP omnifunc would offer: the items as complete() gets them.
      local words = {}
      for _, m in ipairs(vim.lsp.util.text_document_completion_list_to_complete_items(response.result, 'bpf_cpumask_')) do
        words[m.abbr] = m.word
      end
      for _, item in ipairs(vim.lsp.util.extract_completion_items(response.result)) do
        table.insert(c.labels, item.label)
        if item.label == 'bpf_cpumask_create' or item.label == 'bpf_cpumask_release' or item.label == 'bpf_cpumask_set_cpu' then
          c.items[item.label] = {
            insertTextFormat = item.insertTextFormat,
            newText = item.textEdit and item.textEdit.newText or vim.NIL,
            range = item.textEdit and item.textEdit.range or vim.NIL,
            word = words[item.label] or vim.NIL,
          }
        end
      end
    end
  end
  c.cursor = { line = row, character = #typed }

  -- <C-x><C-o>, when the config sets the LSP omnifunc: type on, complete, accept, leave insert mode.
  c.omnifunc = vim.bo[buf].omnifunc
  if c.omnifunc ~= 'v:lua.vim.lsp.omnifunc' then return end
  vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { '\tbpf_cpumask_set_c' })
  vim.api.nvim_win_set_cursor(0, { row + 1, 0 })
  local omni = {}
  c.omni = omni
  local t1 = vim.loop.hrtime()
  local timer = vim.loop.new_timer()
  timer:start(50, 50, vim.schedule_wrap(function()
    local info = vim.fn.complete_info({ 'pum_visible', 'items' })
    if info.pum_visible == 1 or #info.items > 0 or ms_since(t1) > 5000 then
      timer:stop()
      omni.ms = ms_since(t1)
      omni.items = #info.items
      omni.line_during = vim.api.nvim_get_current_line()
      -- One match is inserted at once (no menu); with a menu, <C-y> accepts the selected one.
      local keys = info.pum_visible == 1 and '<C-y><Esc>' or '<Esc>'
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'n', false)
    end
  end))
  -- 'x!': run the keys and stay in insert mode until the timer above leaves it.
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('A<C-x><C-o>', true, false, true), 'x!', false)
  omni.line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1]
end

local ok, err = pcall(function()
  local buf = vim.api.nvim_get_current_buf()
  result.file = vim.api.nvim_buf_get_name(buf)
  result.filetype = vim.bo[buf].filetype
  local t0 = vim.loop.hrtime()
  result.attached = vim.wait(15000, function() return #clients_of(buf) > 0 end, 20)
  result.attach_ms = math.floor((vim.loop.hrtime() - t0) / 1e6)
  result.clients = clients_of(buf)
  if not result.attached then return end
  assert(vim.fn.search('__kptr \\*birth_cpu') > 0, '__kptr *birth_cpu not found')
  vim.cmd('normal! l') -- inside the tag, not on its first character
  local t1 = vim.loop.hrtime()
  result.hover = hover_text()
  result.hover_ms = math.floor((vim.loop.hrtime() - t1) / 1e6)
  result.more = {}
  for file in string.gmatch(more or '', '[^:]+') do
    for _, win in ipairs(floats()) do vim.api.nvim_win_close(win, true) end
    vim.cmd('edit ' .. vim.fn.fnameescape(file))
    local b = vim.api.nvim_get_current_buf()
    local attached = vim.wait(3000, function() return #clients_of(b) > 0 end, 20)
    table.insert(result.more, { file = file, filetype = vim.bo[b].filetype, attached = attached, clients = clients_of(b) })
  end
  local all = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do table.insert(all, c.name) end
  result.active_clients = all

  for _, win in ipairs(floats()) do vim.api.nvim_win_close(win, true) end
  diagnostics_and_quickfix()
  completion()
end)
if not ok then result.error = tostring(err) end
local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd('qa!')
