;;; probe.el --- run by test/editors/emacs.mjs after the user's init.el -*- lexical-binding: t -*-
;; Opens $BPF_KPTR_PROBE_FILE, starts Eglot as the user would ($BPF_KPTR_PROBE_START: "M-x eglot",
;; or "hook" for a config that calls eglot-ensure), puts point on `__kptr' and asks Eglot's eldoc
;; hover function, the one that feeds the echo area. Writes JSON to $BPF_KPTR_PROBE_OUT and exits.
(require 'json)
(defvar bpf-probe-result nil)
(defun bpf-probe--put (key value) (setq bpf-probe-result (plist-put bpf-probe-result key value)))
(defun bpf-probe--wait (predicate seconds)
  (let ((deadline (+ (float-time) seconds)) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(condition-case err
    (progn
      (find-file (getenv "BPF_KPTR_PROBE_FILE"))
      (bpf-probe--put :mode (symbol-name major-mode))
      (if (equal (getenv "BPF_KPTR_PROBE_START") "M-x eglot")
          (call-interactively #'eglot)
        ;; eglot-ensure connects from post-command-hook, after the command that opened the file.
        (run-hooks 'post-command-hook))
      (let ((server (bpf-probe--wait (lambda () (and (fboundp 'eglot-current-server) (eglot-current-server))) 15)))
        (bpf-probe--put :eglot (if (boundp 'eglot--managed-mode) eglot--managed-mode :json-false))
        (when server
          (bpf-probe--put :command (mapconcat #'identity (process-command (jsonrpc--process server)) " "))
          (goto-char (point-min))
          (search-forward "__kptr *birth_cpu")
          (goto-char (+ (match-beginning 0) 2))
          (let ((start (float-time)) doc)
            (eglot-hover-eldoc-function (lambda (info &rest _) (setq doc (or info ""))))
            (bpf-probe--wait (lambda () doc) 10)
            (bpf-probe--put :hover (or doc :json-null))
            (bpf-probe--put :hover_ms (round (* 1000 (- (float-time) start))))))))
  (error (bpf-probe--put :error (error-message-string err))))

(with-temp-file (getenv "BPF_KPTR_PROBE_OUT")
  (insert (json-encode bpf-probe-result)))
(kill-emacs 0)
