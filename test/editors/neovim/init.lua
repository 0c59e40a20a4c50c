-- bpf-kptr in Neovim 0.7 or newer: the configuration the README should show (see
-- test/editors/neovim.mjs, which runs Neovim with this file as ~/.config/nvim/init.lua).
-- Differences from a first attempt that matter on Neovim 0.7.2:
--  * *.h files get the filetype cpp unless g:c_syntax_for_h is set, so match c and cpp;
--  * vim.lsp.start_client starts a new server each call: start one and attach every buffer to it;
--  * K is mapped to the hover only from Neovim 0.10 on: map it here;
--  * the LSP omnifunc is set by default only from Neovim 0.10 on: set it, so <C-x><C-o> completes
--    kfuncs, tags and section names from the server.
local bpf_kptr
vim.api.nvim_create_autocmd('FileType', {
  pattern = { 'c', 'cpp' },
  callback = function(args)
    if not vim.api.nvim_buf_get_name(args.buf):match('%.bpf%.[ch]$') then return end
    if not bpf_kptr or vim.lsp.client_is_stopped(bpf_kptr) then
      bpf_kptr = vim.lsp.start_client({
        name = 'bpf-kptr',
        cmd = { 'bpf-kptr-language-server', '--stdio' },
        root_dir = vim.fn.getcwd(),
      })
    end
    vim.lsp.buf_attach_client(args.buf, bpf_kptr)
    vim.keymap.set('n', 'K', vim.lsp.buf.hover, { buffer = args.buf })
    vim.bo[args.buf].omnifunc = 'v:lua.vim.lsp.omnifunc'
  end,
})
