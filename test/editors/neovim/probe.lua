-- Run by test/editors/neovim.mjs after the user's init.lua: `nvim --headless FILE -c 'luafile probe.lua'`.
-- Hovers `__kptr` the way a user does (K if the config maps it, else :lua vim.lsp.buf.hover()),
-- reads the floating window, optionally opens more buffers, writes JSON to $BPF_KPTR_PROBE_OUT, quits.
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
end)
if not ok then result.error = tostring(err) end
local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd('qa!')
