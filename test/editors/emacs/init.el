;;; init.el --- bpf-kptr with Eglot: the configuration the README should show -*- lexical-binding: t -*-
;; test/editors/emacs.mjs runs Emacs with this file as ~/.emacs.d/init.el.
;; Emacs 29 and newer have Eglot built in; on Emacs 28 install it first (Debian: elpa-eglot,
;; or M-x package-install RET eglot).
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '(c-mode . ("bpf-kptr-language-server" "--stdio"))))
;; Start it in BPF C files; elsewhere M-x eglot starts it by hand. Eglot runs one server per
;; project and major mode, so in a project where it runs, bpf-kptr serves every c-mode buffer.
(add-hook 'c-mode-hook
          (lambda ()
            (when (and buffer-file-name (string-match-p "\\.bpf\\.[ch]\\'" buffer-file-name))
              (eglot-ensure))))
;; The hover shows in the echo area when point rests on a tag (eldoc); M-x eldoc-doc-buffer shows all of it.
