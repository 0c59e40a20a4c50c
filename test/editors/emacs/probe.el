;;; probe.el --- run by test/editors/emacs.mjs after the user's init.el -*- lexical-binding: t -*-
;; Opens $BPF_KPTR_PROBE_FILE (in a scratch copy of examples/), starts Eglot as the user would
;; ($BPF_KPTR_PROBE_START: "M-x eglot", or "hook" for a config that calls eglot-ensure), puts point
;; on `__kptr' and asks Eglot's eldoc hover function, the one that feeds the echo area. Then opens
;; mistakes.bpf.c beside it and reads what Flymake holds (Eglot's diagnostics), applies the leak's
;; quick fix with M-x eglot-code-actions (the menu answered as a user would), and completes after
;; `bpf_cpumask_' with completion-at-point (Eglot's capf). Writes JSON to $BPF_KPTR_PROBE_OUT, exits.
(require 'json)
(require 'cl-lib)
(defvar bpf-probe-result nil)
(defun bpf-probe--put (key value) (setq bpf-probe-result (plist-put bpf-probe-result key value)))
(defun bpf-probe--wait (predicate seconds)
  (let ((deadline (+ (float-time) seconds)) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))
(defun bpf-probe--ms (start) (round (* 1000 (- (float-time) start))))

(defun bpf-probe--diagnostics ()
  "Flymake's diagnostics in this buffer, in buffer order, as JSON-ready plists."
  (let ((diags (sort (copy-sequence (flymake-diagnostics)) (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b))))))
    (vconcat
     (mapcar (lambda (d)
               (save-excursion
                 (goto-char (flymake-diagnostic-beg d))
                 (list :line (line-number-at-pos)
                       :col (1+ (- (point) (line-beginning-position)))
                       :type (symbol-name (flymake-diagnostic-type d))
                       :text (flymake-diagnostic-text d))))
             diags))))

(defun bpf-probe--codes ()
  (mapcar (lambda (d) (and (string-match "\\[\\([a-z-]+\\)\\]" (flymake-diagnostic-text d)) (match-string 1 (flymake-diagnostic-text d))))
          (sort (copy-sequence (flymake-diagnostics)) (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b))))))

(defun bpf-probe--eglot-buffer-p ()
  (and (bound-and-true-p eglot--managed-mode) (bound-and-true-p flymake-mode)))

(defun bpf-probe--after-command ()
  "What the command loop and redisplay do after a command that showed a buffer: batch Emacs has
neither, and Flymake waits for them (`flymake-start' deferred to post-command and on-display)."
  (run-hooks 'post-command-hook)
  (run-hooks 'window-configuration-change-hook))

(defun bpf-probe--idle ()
  "Run the idle timers, as Emacs does when it waits for the next key (batch Emacs never waits so):
Eglot sends didChange, and Flymake rechecks, from idle timers."
  (dolist (timer (copy-sequence timer-idle-list))
    (timer-event-handler timer)))

(defun bpf-probe--diagnostics-and-quickfix (file)
  (find-file file)
  ;; A config with eglot-ensure connects from post-command-hook; with M-x eglot, Eglot manages
  ;; every c-mode buffer of the project it serves as the buffer is visited.
  (bpf-probe--after-command)
  (let ((start (float-time)))
    (bpf-probe--wait #'bpf-probe--eglot-buffer-p 10)
    (bpf-probe--put :mistakes_managed (if (bpf-probe--eglot-buffer-p) t :json-false))
    (bpf-probe--wait (lambda () (>= (length (flymake-diagnostics)) 4)) 15)
    (bpf-probe--put :diagnostics_ms (bpf-probe--ms start))
    (bpf-probe--put :diagnostics (bpf-probe--diagnostics)))
  ;; The quick fix: point on the leak, M-x eglot-code-actions, the fix picked from the prompt.
  (let ((leak (cl-find-if (lambda (d) (string-match-p "\\[kptr-leak\\]" (flymake-diagnostic-text d))) (flymake-diagnostics))))
    (when leak
      (goto-char (flymake-diagnostic-beg leak))
      (let* ((offered nil)
             (tick (buffer-chars-modified-tick))
             (start (float-time))
             ;; Answer the prompt as a user would; a non-list last-nonmenu-event means "not a mouse
             ;; click", so Eglot prompts with completing-read instead of a popup menu.
             (last-nonmenu-event 13))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (setq offered (mapcar #'car collection))
                     (or (cl-find-if (lambda (title) (string-prefix-p "Release `mask`" title)) offered) ""))))
          (call-interactively #'eglot-code-actions))
        (bpf-probe--put :quickfix_offered (vconcat offered))
        (bpf-probe--put :quickfix_applied (if (/= tick (buffer-chars-modified-tick)) t :json-false))
        (bpf-probe--after-command)
        (bpf-probe--wait (lambda ()
                           (bpf-probe--idle)
                           (and (= (length (flymake-diagnostics)) 3) (not (member "kptr-leak" (bpf-probe--codes)))))
                         10)
        (bpf-probe--put :quickfix_ms (bpf-probe--ms start))
        (bpf-probe--put :quickfix_after (vconcat (bpf-probe--codes)))
        (bpf-probe--put :quickfix_text (buffer-substring-no-properties
                                        (save-excursion (forward-line -2) (point))
                                        (save-excursion (forward-line 5) (point))))))))

(defun bpf-probe--completion (file)
  (find-file file)
  (goto-char (point-min))
  (search-forward "bpf_cpumask_set_cpu(bpf_get_smp_processor_id(), mask);")
  (end-of-line)
  (insert "\n\tbpf_cpumask_")
  ;; What the completion list holds (*Completions* shows these): Eglot's capf, its table.
  (let* ((start (float-time))
         (capf (eglot-completion-at-point))
         (beg (nth 0 capf)) (end (nth 1 capf)) (table (nth 2 capf))
         (candidates (and capf (all-completions (buffer-substring-no-properties beg end) table))))
    (bpf-probe--put :completion_ms (bpf-probe--ms start))
    (bpf-probe--put :completion_prefix (if capf (buffer-substring-no-properties beg end) :json-null))
    (bpf-probe--put :completion_candidates (vconcat (mapcar #'substring-no-properties candidates))))
  ;; Then as one types: narrow to one candidate and M-x completion-at-point (C-M-i) inserts it.
  (insert "set_c")
  (let ((start (float-time)))
    (completion-at-point)
    (bpf-probe--put :capf_ms (bpf-probe--ms start)))
  (bpf-probe--put :capf_line (buffer-substring-no-properties (line-beginning-position) (line-end-position))))

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
            (bpf-probe--put :hover_ms (round (* 1000 (- (float-time) start)))))
          (condition-case err
              (bpf-probe--diagnostics-and-quickfix (expand-file-name "mistakes.bpf.c" (file-name-directory (getenv "BPF_KPTR_PROBE_FILE"))))
            (error (bpf-probe--put :diagnostics_error (error-message-string err))))
          (condition-case err
              (bpf-probe--completion (getenv "BPF_KPTR_PROBE_FILE"))
            (error (bpf-probe--put :completion_error (error-message-string err)))))))
  (error (bpf-probe--put :error (error-message-string err))))

(with-temp-file (getenv "BPF_KPTR_PROBE_OUT")
  (insert (json-encode bpf-probe-result)))
(kill-emacs 0)
