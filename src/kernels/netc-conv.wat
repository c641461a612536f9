;; netc's kernels for sliding windows, multi-threaded: the forward pass, the filter gradient and
;; the input gradient of a 2-D convolution (NHWC, filter [KH,KW,CI,CO]), and max pooling's
;; gradient, and what moves data along channels around them: per-channel sums (BN's statistics,
;; bias gradients) and concatenation (at the end). The three of a convolution are one matrix
;; product
;;   forward      y[M×CO]     = A[M×K] · W[K×CO]
;;   filter grad  dW[K×CO]    = Aᵀ · dy[M×CO]
;;   input grad   dcol[M×K]   = dy · Wᵀ, then added back into dx (col2im)
;; with M = N·OH·OW output pixels, K = KH·KW·CI, and A the im2col matrix of x (row m: the KH×KW
;; window of output pixel m, CI values per tap, zeros where the window is in the padding). A 1×1
;; convolution with stride 1 and no padding (and a linear layer, one as [N,1,1,F]) uses x as A
;; directly; otherwise blocks of A are packed as needed. With few input channels (LeNet's, and
;; every model's first layer) im2col would move a few floats per call, and the conv_window_*
;; entries read the image's windows in place instead (below, "sliding windows"). A 3×3 or 5×5
;; kernel at stride 1 can instead go through Winograd's minimal filtering, with fewer
;; multiplications (wino_filter and conv_wino_fwd; wino_dw_* for 3×3's filter gradient, which
;; conv.ts runs on four 3×3 blocks of a 5×5 kernel). A small output with padding can skip the
;; window taps in the padding (conv_taps_*).
;;
;; Built by scripts/build-kernels.mjs (wabt) into dist/netc-conv*.wasm: with the memory of
;; tfjs-backend-wasm's plain or threaded build, and with fused multiply-add (relaxed SIMD's
;; f32x4.relaxed_madd, written below) or, where the engine lacks it, the same source with each
;; relaxed_madd(a, b, c) rewritten as a·b + c.
;;
;; Every entry point takes a parameter block $g (i32 words, below) and its thread's index and
;; the thread count: src/kernels/conv.ts writes the block and runs the entry point on the threads
;; of its pool, which take units of work from a shared counter ($next) until none is left.
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------- the parameter block
  ;; byte offsets of its words
  ;;  0 x     4 w     8 bias   12 out   16 scratch (per thread: + tid·scratch bytes)
  ;; 20 scratch bytes per thread        24 flags (1 relu, 2 bias)
  ;; 28 N    32 H    36 W     40 CI     44 OH   48 OW   52 CO
  ;; 56 KH   60 KW   64 sh    68 sw     72 ph   76 pw
  ;; 80 mb (rows per block)   84 kb (reduction per block)   92 dy
  ;; 96 nb (columns per block of dA, input gradient)   100 the unit counter (see $next)
  ;; 104 images per unit and 108 Wᵀ's address or 0 (input gradient)
  ;; 112 the Winograd transforms' table (R ≠ 3)

  ;; micro-kernel flags
  ;;   1: C += (accumulate into C)      2: start from the bias row      4: relu at the end

  ;; ---------------------------------------------------------------- micro-kernel
  ;; C[6×8] (+)= A[6×kc] · B[kc×8]. Step k of A is the 6 floats at a + k·aks (one per row of
  ;; C); B's row k is 8 floats at b + k·ldb; C's row i is 8 floats at c + i·ldc. Rows of C past
  ;; `rows` are computed but written to the last valid row before it is (its value wins), so a
  ;; partial tile needs no other code; their A values may be anything readable.
  ;; 12 accumulators, 2 B vectors and 1 broadcast A value fit x64's 16 vector registers.
  (func $mk6x8
    (param $a i32) (param $aks i32) (param $rows i32)
    (param $b i32) (param $ldb i32) (param $kc i32)
    (param $c i32) (param $ldc i32) (param $flags i32) (param $bias i32)
    (local $end i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128) (local $x20 v128) (local $x21 v128)
    (local $x30 v128) (local $x31 v128) (local $x40 v128) (local $x41 v128) (local $x50 v128) (local $x51 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $c1 (select (i32.add (local.get $c) (local.get $ldc)) (local.get $c) (i32.gt_u (local.get $rows) (i32.const 1))))
    (local.set $c2 (select (i32.add (local.get $c1) (local.get $ldc)) (local.get $c1) (i32.gt_u (local.get $rows) (i32.const 2))))
    (local.set $c3 (select (i32.add (local.get $c2) (local.get $ldc)) (local.get $c2) (i32.gt_u (local.get $rows) (i32.const 3))))
    (local.set $c4 (select (i32.add (local.get $c3) (local.get $ldc)) (local.get $c3) (i32.gt_u (local.get $rows) (i32.const 4))))
    (local.set $c5 (select (i32.add (local.get $c4) (local.get $ldc)) (local.get $c4) (i32.gt_u (local.get $rows) (i32.const 5))))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (local.set $x00 (v128.load (local.get $c)))  (local.set $x01 (v128.load offset=16 (local.get $c)))
        (local.set $x10 (v128.load (local.get $c1))) (local.set $x11 (v128.load offset=16 (local.get $c1)))
        (local.set $x20 (v128.load (local.get $c2))) (local.set $x21 (v128.load offset=16 (local.get $c2)))
        (local.set $x30 (v128.load (local.get $c3))) (local.set $x31 (v128.load offset=16 (local.get $c3)))
        (local.set $x40 (v128.load (local.get $c4))) (local.set $x41 (v128.load offset=16 (local.get $c4)))
        (local.set $x50 (v128.load (local.get $c5))) (local.set $x51 (v128.load offset=16 (local.get $c5))))
      (else (if (i32.and (local.get $flags) (i32.const 2))
        (then
          (local.set $x00 (v128.load (local.get $bias)))
          (local.set $x01 (v128.load offset=16 (local.get $bias)))
          (local.set $x10 (local.get $x00)) (local.set $x11 (local.get $x01))
          (local.set $x20 (local.get $x00)) (local.set $x21 (local.get $x01))
          (local.set $x30 (local.get $x00)) (local.set $x31 (local.get $x01))
          (local.set $x40 (local.get $x00)) (local.set $x41 (local.get $x01))
          (local.set $x50 (local.get $x00)) (local.set $x51 (local.get $x01))))))
    (local.set $end (i32.add (local.get $b) (i32.mul (local.get $kc) (local.get $ldb))))
    (block $done (loop $k
      (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $s (v128.load32_splat (local.get $a)))
      (local.set $x00 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x00)))
      (local.set $x01 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x01)))
      (local.set $s (v128.load32_splat offset=4 (local.get $a)))
      (local.set $x10 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x10)))
      (local.set $x11 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x11)))
      (local.set $s (v128.load32_splat offset=8 (local.get $a)))
      (local.set $x20 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x20)))
      (local.set $x21 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x21)))
      (local.set $s (v128.load32_splat offset=12 (local.get $a)))
      (local.set $x30 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x30)))
      (local.set $x31 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x31)))
      (local.set $s (v128.load32_splat offset=16 (local.get $a)))
      (local.set $x40 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x40)))
      (local.set $x41 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x41)))
      (local.set $s (v128.load32_splat offset=20 (local.get $a)))
      (local.set $x50 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x50)))
      (local.set $x51 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x51)))
      (local.set $a (i32.add (local.get $a) (local.get $aks)))
      (local.set $b (i32.add (local.get $b) (local.get $ldb)))
      (br $k)))
    (if (i32.and (local.get $flags) (i32.const 4))
      (then
        (local.set $x00 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x00)))
        (local.set $x01 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x01)))
        (local.set $x10 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x10)))
        (local.set $x11 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x11)))
        (local.set $x20 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x20)))
        (local.set $x21 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x21)))
        (local.set $x30 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x30)))
        (local.set $x31 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x31)))
        (local.set $x40 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x40)))
        (local.set $x41 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x41)))
        (local.set $x50 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x50)))
        (local.set $x51 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x51)))))
    ;; the last row first: a repeated row then ends with the value of the row it repeats
    (v128.store (local.get $c5) (local.get $x50)) (v128.store offset=16 (local.get $c5) (local.get $x51))
    (v128.store (local.get $c4) (local.get $x40)) (v128.store offset=16 (local.get $c4) (local.get $x41))
    (v128.store (local.get $c3) (local.get $x30)) (v128.store offset=16 (local.get $c3) (local.get $x31))
    (v128.store (local.get $c2) (local.get $x20)) (v128.store offset=16 (local.get $c2) (local.get $x21))
    (v128.store (local.get $c1) (local.get $x10)) (v128.store offset=16 (local.get $c1) (local.get $x11))
    (v128.store (local.get $c) (local.get $x00)) (v128.store offset=16 (local.get $c) (local.get $x01)))

  ;; ---------------------------------------------------------------- window micro-kernel
  ;; C[4×8] (+)= A · B[kc·outer×8] straight from a (padded) image, no im2col: step k of row
  ;; i's A value is at a + dᵢ + k·aks (d₀ = 0), and after every kc steps A moves on by aos from
  ;; where those began (the window's next row), while B's rows go on (row k at b + k·ldb, and
  ;; bos bytes more after each kc steps: the B rows of kernel columns skipped). For
  ;; the forward pass the rows are 4 output pixels (dᵢ = i·sw·CI·4) and a step is one (kw, ci)
  ;; of a kernel row; for the filter gradient the rows are 4 taps of the kernel and a step is
  ;; one output pixel. C's row i is at c + i·ldc, its first `cols` floats written; flags as
  ;; $mk6x8's. Rows past `rows` are written to the last valid row before it is, as in $mk6x8
  ;; (their dᵢ should repeat its). Four rows, not six: the second loop level and the row
  ;; addresses need registers that the 6×8 tile leaves none of.
  (func $mk4x8w
    (param $a i32) (param $d1 i32) (param $d2 i32) (param $d3 i32) (param $aks i32) (param $kc i32) (param $outer i32) (param $aos i32)
    (param $b i32) (param $ldb i32) (param $bos i32) (param $c i32) (param $ldc i32) (param $rows i32) (param $cols i32) (param $flags i32) (param $bias i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $k i32) (local $back i32)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128)
    (local $x20 v128) (local $x21 v128) (local $x30 v128) (local $x31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $c1 (select (i32.add (local.get $c) (local.get $ldc)) (local.get $c) (i32.gt_u (local.get $rows) (i32.const 1))))
    (local.set $c2 (select (i32.add (local.get $c1) (local.get $ldc)) (local.get $c1) (i32.gt_u (local.get $rows) (i32.const 2))))
    (local.set $c3 (select (i32.add (local.get $c2) (local.get $ldc)) (local.get $c2) (i32.gt_u (local.get $rows) (i32.const 3))))
    (local.set $a1 (i32.add (local.get $a) (local.get $d1)))
    (local.set $a2 (i32.add (local.get $a) (local.get $d2)))
    (local.set $a3 (i32.add (local.get $a) (local.get $d3)))
    (local.set $back (i32.sub (local.get $aos) (i32.mul (local.get $kc) (local.get $aks))))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (local.set $x00 (v128.load (local.get $c)))  (local.set $x01 (v128.load offset=16 (local.get $c)))
        (local.set $x10 (v128.load (local.get $c1))) (local.set $x11 (v128.load offset=16 (local.get $c1)))
        (local.set $x20 (v128.load (local.get $c2))) (local.set $x21 (v128.load offset=16 (local.get $c2)))
        (local.set $x30 (v128.load (local.get $c3))) (local.set $x31 (v128.load offset=16 (local.get $c3))))
      (else (if (i32.and (local.get $flags) (i32.const 2))
        (then
          (local.set $x00 (v128.load (local.get $bias)))
          (local.set $x01 (v128.load offset=16 (local.get $bias)))
          (local.set $x10 (local.get $x00)) (local.set $x11 (local.get $x01))
          (local.set $x20 (local.get $x00)) (local.set $x21 (local.get $x01))
          (local.set $x30 (local.get $x00)) (local.set $x31 (local.get $x01))))))
    (block $all (loop $window_rows
      (local.set $k (local.get $kc))
      (block $done (loop $steps
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $b0 (v128.load (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
        (local.set $s (v128.load32_splat (local.get $a)))
        (local.set $x00 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x00)))
        (local.set $x01 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x01)))
        (local.set $s (v128.load32_splat (local.get $a1)))
        (local.set $x10 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x10)))
        (local.set $x11 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x11)))
        (local.set $s (v128.load32_splat (local.get $a2)))
        (local.set $x20 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x20)))
        (local.set $x21 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x21)))
        (local.set $s (v128.load32_splat (local.get $a3)))
        (local.set $x30 (f32x4.relaxed_madd (local.get $s) (local.get $b0) (local.get $x30)))
        (local.set $x31 (f32x4.relaxed_madd (local.get $s) (local.get $b1) (local.get $x31)))
        (local.set $a (i32.add (local.get $a) (local.get $aks)))
        (local.set $a1 (i32.add (local.get $a1) (local.get $aks)))
        (local.set $a2 (i32.add (local.get $a2) (local.get $aks)))
        (local.set $a3 (i32.add (local.get $a3) (local.get $aks)))
        (local.set $b (i32.add (local.get $b) (local.get $ldb)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $steps)))
      (local.set $outer (i32.sub (local.get $outer) (i32.const 1)))
      (br_if $all (i32.eqz (local.get $outer)))
      (local.set $a (i32.add (local.get $a) (local.get $back)))
      (local.set $a1 (i32.add (local.get $a1) (local.get $back)))
      (local.set $a2 (i32.add (local.get $a2) (local.get $back)))
      (local.set $a3 (i32.add (local.get $a3) (local.get $back)))
      (local.set $b (i32.add (local.get $b) (local.get $bos)))
      (br $window_rows)))
    (if (i32.and (local.get $flags) (i32.const 4))
      (then
        (local.set $x00 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x00)))
        (local.set $x01 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x01)))
        (local.set $x10 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x10)))
        (local.set $x11 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x11)))
        (local.set $x20 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x20)))
        (local.set $x21 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x21)))
        (local.set $x30 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x30)))
        (local.set $x31 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x31)))))
    (if (i32.eq (local.get $cols) (i32.const 8))
      (then
        (v128.store (local.get $c3) (local.get $x30)) (v128.store offset=16 (local.get $c3) (local.get $x31))
        (v128.store (local.get $c2) (local.get $x20)) (v128.store offset=16 (local.get $c2) (local.get $x21))
        (v128.store (local.get $c1) (local.get $x10)) (v128.store offset=16 (local.get $c1) (local.get $x11))
        (v128.store (local.get $c) (local.get $x00)) (v128.store offset=16 (local.get $c) (local.get $x01)))
      (else
        (call $store_narrow (local.get $c3) (local.get $x30) (local.get $x31) (local.get $cols))
        (call $store_narrow (local.get $c2) (local.get $x20) (local.get $x21) (local.get $cols))
        (call $store_narrow (local.get $c1) (local.get $x10) (local.get $x11) (local.get $cols))
        (call $store_narrow (local.get $c) (local.get $x00) (local.get $x01) (local.get $cols)))))

  ;; the first n < 8 floats of (lo, hi) at p
  (func $store_narrow (param $p i32) (param $lo v128) (param $hi v128) (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 4))
      (then
        (v128.store (local.get $p) (local.get $lo))
        (local.set $lo (local.get $hi))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))))
    (if (i32.gt_u (local.get $n) (i32.const 0)) (then (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $lo)))))
    (if (i32.gt_u (local.get $n) (i32.const 1)) (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $lo)))))
    (if (i32.gt_u (local.get $n) (i32.const 2)) (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $lo))))))

  ;; ---------------------------------------------------------------- helpers

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  (func $max (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b))))

  ;; zeroes n floats
  (func $zero (param $p i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (f32.store (local.get $p) (f32.const 0))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l))))

  ;; copies n floats
  (func $copy (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $dst) (v128.load (local.get $src)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $l)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.load (local.get $src)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $l))))

  ;; dst[i] += src[i] over n floats
  (func $add_to (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $l)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $l))))

  ;; ---------------------------------------------------------------- GEMM
  ;; C[M×N] (+)= A[M×K] · B[K×N] in 6×8 tiles. A comes in tiles of 6 rows: tile t's step k is
  ;; the 6 floats at a + t·ats + k·aks. B comes in panels of 8 columns: panel p's row k is at
  ;; b + p·bps + k·ldb (bps = 32 for a plain row-major B). C's row i is at c + i·ldc. B's panel
  ;; stays in L1 while every tile of A passes it. A last panel of fewer than 8 columns is
  ;; copied, zero-padded, into tmp (K·8 floats), and its tiles go through tmp's next 6×8 floats
  ;; so that only the real columns of C are read and written (the bias through 8 more).
  (func $gemm
    (param $a i32) (param $aks i32) (param $ats i32) (param $M i32)
    (param $b i32) (param $ldb i32) (param $bps i32) (param $N i32) (param $K i32)
    (param $c i32) (param $ldc i32) (param $flags i32) (param $bias i32) (param $tmp i32)
    (local $tiles i32) (local $panels i32) (local $rows_outer i32) (local $o i32) (local $i i32) (local $outer i32) (local $inner i32)
    (local $t i32) (local $p i32) (local $packed i32) (local $n0 i32) (local $m0 i32) (local $cols i32) (local $rows i32)
    (local $bp i32) (local $bld i32) (local $k i32) (local $tile i32) (local $tb i32) (local $r i32) (local $at i32) (local $ct i32)
    (local.set $tile (i32.add (local.get $tmp) (i32.shl (local.get $K) (i32.const 5))))
    (local.set $tb (i32.add (local.get $tile) (i32.const 192)))
    (local.set $tiles (i32.div_u (i32.add (local.get $M) (i32.const 5)) (i32.const 6)))
    (local.set $panels (i32.shr_u (i32.add (local.get $N) (i32.const 7)) (i32.const 3)))
    ;; A short reduction makes writing C the cost: then C is written a row of tiles at a time.
    (local.set $rows_outer (i32.lt_u (local.get $K) (i32.const 64)))
    (local.set $outer (select (local.get $tiles) (local.get $panels) (local.get $rows_outer)))
    (local.set $inner (select (local.get $panels) (local.get $tiles) (local.get $rows_outer)))
    (local.set $packed (i32.const -1))
    (block $outer_done (loop $outer_loop
      (br_if $outer_done (i32.ge_u (local.get $o) (local.get $outer)))
      (local.set $i (i32.const 0))
      (block $inner_done (loop $inner_loop
        (br_if $inner_done (i32.ge_u (local.get $i) (local.get $inner)))
        (local.set $t (select (local.get $o) (local.get $i) (local.get $rows_outer)))
        (local.set $p (select (local.get $i) (local.get $o) (local.get $rows_outer)))
        (local.set $n0 (i32.shl (local.get $p) (i32.const 3)))
        (local.set $m0 (i32.mul (local.get $t) (i32.const 6)))
        (local.set $cols (call $min (i32.const 8) (i32.sub (local.get $N) (local.get $n0))))
        (local.set $rows (call $min (i32.const 6) (i32.sub (local.get $M) (local.get $m0))))
        (local.set $at (i32.add (local.get $a) (i32.mul (local.get $t) (local.get $ats))))
        (local.set $ct (i32.add (i32.add (local.get $c) (i32.mul (local.get $m0) (local.get $ldc))) (i32.shl (local.get $n0) (i32.const 2))))
        (local.set $bp (i32.add (local.get $b) (i32.mul (local.get $p) (local.get $bps))))
        (if (i32.eq (local.get $cols) (i32.const 8))
          (then
            (call $mk6x8 (local.get $at) (local.get $aks) (local.get $rows) (local.get $bp) (local.get $ldb) (local.get $K)
              (local.get $ct) (local.get $ldc) (local.get $flags) (i32.add (local.get $bias) (i32.shl (local.get $n0) (i32.const 2)))))
          (else
            (if (i32.ne (local.get $packed) (local.get $p))
              (then
                ;; the last panel, zero-padded to 8 columns, and its bias
                (local.set $k (i32.const 0))
                (block $d (loop $l
                  (br_if $d (i32.ge_u (local.get $k) (local.get $K)))
                  (call $zero (i32.add (local.get $tmp) (i32.shl (local.get $k) (i32.const 5))) (i32.const 8))
                  (call $copy (i32.add (local.get $bp) (i32.mul (local.get $k) (local.get $ldb)))
                    (i32.add (local.get $tmp) (i32.shl (local.get $k) (i32.const 5))) (local.get $cols))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br $l)))
                (call $zero (local.get $tb) (i32.const 8))
                (if (i32.and (local.get $flags) (i32.const 2))
                  (then (call $copy (i32.add (local.get $bias) (i32.shl (local.get $n0) (i32.const 2))) (local.get $tb) (local.get $cols))))
                (local.set $packed (local.get $p))))
            ;; through the 6×8 tile in tmp: C's real columns in and out
            (if (i32.and (local.get $flags) (i32.const 1))
              (then
                (local.set $r (i32.const 0))
                (block $d (loop $l
                  (br_if $d (i32.ge_u (local.get $r) (local.get $rows)))
                  (call $copy (i32.add (local.get $ct) (i32.mul (local.get $r) (local.get $ldc)))
                    (i32.add (local.get $tile) (i32.shl (local.get $r) (i32.const 5))) (local.get $cols))
                  (local.set $r (i32.add (local.get $r) (i32.const 1)))
                  (br $l)))))
            (call $mk6x8 (local.get $at) (local.get $aks) (local.get $rows) (local.get $tmp) (i32.const 32) (local.get $K)
              (local.get $tile) (i32.const 32) (local.get $flags) (local.get $tb))
            (local.set $r (i32.const 0))
            (block $d (loop $l
              (br_if $d (i32.ge_u (local.get $r) (local.get $rows)))
              (call $copy (i32.add (local.get $tile) (i32.shl (local.get $r) (i32.const 5)))
                (i32.add (local.get $ct) (i32.mul (local.get $r) (local.get $ldc))) (local.get $cols))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $l)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $inner_loop)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $outer_loop))))

  ;; ---------------------------------------------------------------- packing
  ;; Row m of A is output pixel m's window: for each kernel row kh, the KW·CI floats of x's row
  ;; ih = oh·sh + kh − ph from column iw = ow·sw − pw on, which are contiguous in NHWC; the
  ;; parts of that run outside x are zeros. $im2col visits the block of rows [m0, m0+mb) and
  ;; columns [k0, k0+kb) of A run by run, and
  ;;   mode 0 writes it row-major (rows kb floats apart), for the filter gradient;
  ;;   mode 1 writes it in tiles of 6 rows (see $gemm: aks 24, tiles kb·24 bytes apart), for
  ;;          the forward pass;
  ;;   mode 2 adds such a row-major block of dA into the image $x (the input gradient).

  ;; n floats from src to dst, dst stepping `step` bytes per float
  (func $scatter (param $src i32) (param $dst i32) (param $n i32) (param $step i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (f32.store (local.get $dst) (f32.load (local.get $src)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (local.get $step)))
      (br $l))))

  ;; n zeros at dst, stepping `step` bytes
  (func $scatter_zero (param $dst i32) (param $n i32) (param $step i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.mul (local.get $n) (local.get $step))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.const 0))
      (local.set $dst (i32.add (local.get $dst) (local.get $step)))
      (br $l))))

  ;; copies (mode 0, 1) or adds (mode 2) the run of n floats of A starting at column k of the
  ;; block's row r; src is x's address, 0 for zeros
  (func $run (param $src i32) (param $dst i32) (param $r i32) (param $k i32) (param $n i32) (param $kb i32) (param $mode i32)
    (local $at i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        ;; tile r/6, step k, lane r%6
        (local.set $at (i32.add (local.get $dst) (i32.shl
          (i32.add (i32.mul (i32.add (i32.mul (i32.div_u (local.get $r) (i32.const 6)) (local.get $kb)) (local.get $k)) (i32.const 6))
            (i32.rem_u (local.get $r) (i32.const 6)))
          (i32.const 2))))
        (if (local.get $src)
          (then (call $scatter (local.get $src) (local.get $at) (local.get $n) (i32.const 24)))
          (else (call $scatter_zero (local.get $at) (local.get $n) (i32.const 24))))
        (return)))
    (local.set $at (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $kb)) (local.get $k)) (i32.const 2))))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then (if (local.get $src) (then (call $add_to (local.get $at) (local.get $src) (local.get $n)))))
      (else (if (local.get $src)
        (then (call $copy (local.get $src) (local.get $at) (local.get $n)))
        (else (call $zero (local.get $at) (local.get $n)))))))

  (func $im2col (param $g i32) (param $x i32) (param $m0 i32) (param $mb i32) (param $k0 i32) (param $kb i32) (param $dst i32) (param $mode i32)
    (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $KH i32) (local $KW i32)
    (local $sh i32) (local $sw i32) (local $ph i32) (local $pw i32)
    (local $m i32) (local $r i32) (local $n i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $ih i32) (local $iw0 i32)
    (local $seg i32) (local $seglen i32) (local $lo i32) (local $hi i32) (local $k1 i32)
    (local $a i32) (local $b i32) (local $src i32) (local $ohw i32)
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $KH (i32.load offset=56 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $sh (i32.load offset=64 (local.get $g)))
    (local.set $sw (i32.load offset=68 (local.get $g)))
    (local.set $ph (i32.load offset=72 (local.get $g)))
    (local.set $pw (i32.load offset=76 (local.get $g)))
    (local.set $ohw (i32.mul (local.get $OH) (local.get $OW)))
    (local.set $seglen (i32.mul (local.get $KW) (local.get $CI)))
    (local.set $k1 (i32.add (local.get $k0) (local.get $kb)))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $mb)))
      (local.set $m (i32.add (local.get $m0) (local.get $r)))
      (local.set $n (i32.div_u (local.get $m) (local.get $ohw)))
      (local.set $oh (i32.div_u (i32.rem_u (local.get $m) (local.get $ohw)) (local.get $OW)))
      (local.set $ow (i32.rem_u (local.get $m) (local.get $OW)))
      (local.set $iw0 (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $pw)))
      (local.set $kh (i32.const 0))
      (block $kh_done (loop $khs
        (br_if $kh_done (i32.ge_u (local.get $kh) (local.get $KH)))
        (local.set $seg (i32.mul (local.get $kh) (local.get $seglen)))
        ;; the run [seg, seg+seglen) ∩ [k0, k1) is [a, b); x's part of it is [lo, hi)
        (local.set $a (call $max (local.get $seg) (local.get $k0)))
        (local.set $b (call $min (i32.add (local.get $seg) (local.get $seglen)) (local.get $k1)))
        (if (i32.lt_s (local.get $a) (local.get $b))
          (then
            (local.set $ih (i32.sub (i32.add (i32.mul (local.get $oh) (local.get $sh)) (local.get $kh)) (local.get $ph)))
            (if (i32.and (i32.ge_s (local.get $ih) (i32.const 0)) (i32.lt_s (local.get $ih) (local.get $H)))
              (then
                (local.set $lo (i32.add (local.get $seg) (i32.mul (call $max (i32.const 0) (i32.sub (i32.const 0) (local.get $iw0))) (local.get $CI))))
                (local.set $hi (i32.add (local.get $seg) (i32.mul (call $min (local.get $KW) (i32.sub (local.get $W) (local.get $iw0))) (local.get $CI))))
                (local.set $lo (call $min (call $max (local.get $lo) (local.get $a)) (local.get $b)))
                (local.set $hi (call $max (call $min (local.get $hi) (local.get $b)) (local.get $lo))))
              (else
                (local.set $lo (local.get $b))
                (local.set $hi (local.get $b))))
            ;; x's float at column k of the run: ((n·H + ih)·W + iw0)·CI + (k − seg)
            (local.set $src (i32.add (local.get $x) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw0)) (local.get $CI))
                (i32.sub (local.get $lo) (local.get $seg)))
              (i32.const 2))))
            (call $run (i32.const 0) (local.get $dst) (local.get $r) (i32.sub (local.get $a) (local.get $k0)) (i32.sub (local.get $lo) (local.get $a)) (local.get $kb) (local.get $mode))
            (call $run (local.get $src) (local.get $dst) (local.get $r) (i32.sub (local.get $lo) (local.get $k0)) (i32.sub (local.get $hi) (local.get $lo)) (local.get $kb) (local.get $mode))
            (call $run (i32.const 0) (local.get $dst) (local.get $r) (i32.sub (local.get $hi) (local.get $k0)) (i32.sub (local.get $b) (local.get $hi)) (local.get $kb) (local.get $mode))))
        (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
        (br $khs)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
    ;; a partial last tile: its missing rows are zeros
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        (block $done (loop $pad
          (br_if $done (i32.eqz (i32.rem_u (local.get $r) (i32.const 6))))
          (call $run (i32.const 0) (local.get $dst) (local.get $r) (i32.const 0) (local.get $kb) (local.get $kb) (i32.const 1))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $pad))))))

  ;; rows [m0, m0+mb) × columns [k0, k0+kb) of a row-major matrix (rows `ld` floats apart) in
  ;; tiles of 6 rows, as mode 1 of $im2col (missing rows of a partial tile are zeros).
  (func $pack_tiles (param $src i32) (param $ld i32) (param $m0 i32) (param $mb i32) (param $k0 i32) (param $kb i32) (param $dst i32)
    (local $r i32) (local $p i32) (local $ldb i32)
    (local.set $ldb (i32.shl (local.get $ld) (i32.const 2)))
    (block $tiles_done (loop $tiles
      (br_if $tiles_done (i32.gt_u (i32.add (local.get $r) (i32.const 6)) (local.get $mb)))
      (local.set $p (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (i32.add (local.get $m0) (local.get $r)) (local.get $ld)) (local.get $k0)) (i32.const 2))))
      (call $pack_tile6 (local.get $p) (i32.add (local.get $p) (local.get $ldb)) (i32.add (local.get $p) (i32.shl (local.get $ldb) (i32.const 1)))
        (i32.add (local.get $p) (i32.mul (local.get $ldb) (i32.const 3))) (i32.add (local.get $p) (i32.shl (local.get $ldb) (i32.const 2)))
        (i32.add (local.get $p) (i32.mul (local.get $ldb) (i32.const 5)))
        (local.get $kb) (i32.add (local.get $dst) (i32.shl (i32.mul (i32.div_u (local.get $r) (i32.const 6)) (i32.mul (local.get $kb) (i32.const 6))) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 6)))
      (br $tiles)))
    ;; a partial last tile, one row at a time, its missing rows zeros
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $mb)))
      (call $run (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (i32.add (local.get $m0) (local.get $r)) (local.get $ld)) (local.get $k0)) (i32.const 2)))
        (local.get $dst) (local.get $r) (i32.const 0) (local.get $kb) (local.get $kb) (i32.const 1))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
    (block $done (loop $pad
      (br_if $done (i32.eqz (i32.rem_u (local.get $r) (i32.const 6))))
      (call $run (i32.const 0) (local.get $dst) (local.get $r) (i32.const 0) (local.get $kb) (local.get $kb) (i32.const 1))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $pad))))

  ;; one tile of 6 rows (kb floats from each of p0…p5) at o, kb·6 floats: 4 columns at a time,
  ;; 6 row vectors transposed (a 4×4 transpose and two rows interleaved) into 4 steps of 6 floats
  (func $pack_tile6 (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32) (param $kb i32) (param $o i32)
    (local $k i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $v4 v128) (local $v5 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (block $k_done (loop $ks
      (br_if $k_done (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $kb)))
      (local.set $v0 (v128.load (i32.add (local.get $p0) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $v1 (v128.load (i32.add (local.get $p1) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $v2 (v128.load (i32.add (local.get $p2) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $v3 (v128.load (i32.add (local.get $p3) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $v4 (v128.load (i32.add (local.get $p4) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $v5 (v128.load (i32.add (local.get $p5) (i32.shl (local.get $k) (i32.const 2)))))
      ;; rows 0–3: t0 = (0₀ 1₀ 0₁ 1₁), t1 = (2₀ 3₀ 2₁ 3₁), t2 = (0₂ 1₂ 0₃ 1₃), t3 = (2₂ 3₂ 2₃ 3₃)
      (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
      (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
      (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
      (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
      ;; rows 4, 5: v0 = (4₀ 5₀ 4₁ 5₁), v1 = (4₂ 5₂ 4₃ 5₃)
      (local.set $v0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v4) (local.get $v5)))
      (local.set $v1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v4) (local.get $v5)))
      ;; step k: (0ₖ 1ₖ 2ₖ 3ₖ) then (4ₖ 5ₖ)
      (v128.store offset=0 (local.get $o) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
      (v128.store64_lane offset=16 0 (local.get $o) (local.get $v0))
      (v128.store offset=24 (local.get $o) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
      (v128.store64_lane offset=40 1 (local.get $o) (local.get $v0))
      (v128.store offset=48 (local.get $o) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
      (v128.store64_lane offset=64 0 (local.get $o) (local.get $v1))
      (v128.store offset=72 (local.get $o) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
      (v128.store64_lane offset=88 1 (local.get $o) (local.get $v1))
      (local.set $o (i32.add (local.get $o) (i32.const 96)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $ks)))
    ;; the last columns, one at a time
    (block $k_done (loop $ks
      (br_if $k_done (i32.ge_u (local.get $k) (local.get $kb)))
      (f32.store offset=0 (local.get $o) (f32.load (i32.add (local.get $p0) (i32.shl (local.get $k) (i32.const 2)))))
      (f32.store offset=4 (local.get $o) (f32.load (i32.add (local.get $p1) (i32.shl (local.get $k) (i32.const 2)))))
      (f32.store offset=8 (local.get $o) (f32.load (i32.add (local.get $p2) (i32.shl (local.get $k) (i32.const 2)))))
      (f32.store offset=12 (local.get $o) (f32.load (i32.add (local.get $p3) (i32.shl (local.get $k) (i32.const 2)))))
      (f32.store offset=16 (local.get $o) (f32.load (i32.add (local.get $p4) (i32.shl (local.get $k) (i32.const 2)))))
      (f32.store offset=20 (local.get $o) (f32.load (i32.add (local.get $p5) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $o (i32.add (local.get $o) (i32.const 24)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $ks))))

  ;; whether A is x itself: a 1×1 kernel, stride 1, no padding
  (func $direct (param $g i32) (result i32)
    (i32.and
      (i32.and (i32.eq (i32.load offset=56 (local.get $g)) (i32.const 1)) (i32.eq (i32.load offset=60 (local.get $g)) (i32.const 1)))
      (i32.and
        (i32.and (i32.eq (i32.load offset=64 (local.get $g)) (i32.const 1)) (i32.eq (i32.load offset=68 (local.get $g)) (i32.const 1)))
        (i32.eqz (i32.or (i32.load offset=72 (local.get $g)) (i32.load offset=76 (local.get $g)))))))

  (func $scratch (param $g i32) (param $tid i32) (result i32)
    (i32.add (i32.load offset=16 (local.get $g)) (i32.mul (local.get $tid) (i32.load offset=20 (local.get $g)))))

  ;; The next unit of work: the threads of a call take units from a shared counter (word 25,
  ;; zeroed before the call) until none is left, so that a thread the system runs late takes
  ;; fewer rather than holding the others up.
  (func $next (param $g i32) (result i32)
    (i32.atomic.rmw.add offset=100 (local.get $g) (i32.const 1)))

  ;; rows [m0, m0+mb) of a row-major matrix with `ld` floats per row, its first N columns in
  ;; panels of 8 (the last zero-padded): panel p's row r at dst + (p·mb + r)·32
  (func $pack_panels (param $src i32) (param $ld i32) (param $m0 i32) (param $mb i32) (param $N i32) (param $dst i32)
    (local $r i32)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $mb)))
      (call $panel_row (i32.add (local.get $src) (i32.shl (i32.mul (i32.add (local.get $m0) (local.get $r)) (local.get $ld)) (i32.const 2)))
        (local.get $N) (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 5))) (i32.shl (local.get $mb) (i32.const 5)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; the N floats at row into panels of 8 (the last zero-padded): panel p's 8 at dst + p·ps
  (func $panel_row (param $row i32) (param $N i32) (param $dst i32) (param $ps i32)
    (local $n0 i32)
    (block $d (loop $panels
      (br_if $d (i32.ge_u (local.get $n0) (local.get $N)))
      (if (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $N))
        (then
          (v128.store (local.get $dst) (v128.load (local.get $row)))
          (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $row))))
        (else
          (call $zero (local.get $dst) (i32.const 8))
          (call $copy (local.get $row) (local.get $dst) (i32.sub (local.get $N) (local.get $n0)))))
      (local.set $row (i32.add (local.get $row) (i32.const 32)))
      (local.set $dst (i32.add (local.get $dst) (local.get $ps)))
      (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
      (br $panels))))

  ;; ---------------------------------------------------------------- entry points

  ;; y = act(A·W + bias), a unit being a block of mb rows of M, each in reduction steps of kb
  ;; (the bias at the first, the relu at the last), packing A's block; W packed by pack_w.
  ;; Scratch per thread: mb·kb floats of packed A, mb·kb of A row-major, the GEMM's kb·8 + 64.
  (func (export "conv_fwd") (param $g i32) (param $tid i32) (param $nt i32)
    (local $M i32) (local $K i32) (local $CO i32) (local $mb i32) (local $kb i32)
    (local $m0 i32) (local $rows i32) (local $k0 i32) (local $ks i32) (local $flags i32)
    (local $s i32) (local $rm i32) (local $tmp i32) (local $n0 i32) (local $cols i32)
    (local.set $M (i32.mul (i32.load offset=28 (local.get $g)) (i32.mul (i32.load offset=44 (local.get $g)) (i32.load offset=48 (local.get $g)))))
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))) (i32.load offset=40 (local.get $g))))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $mb (i32.load offset=80 (local.get $g)))
    (local.set $kb (i32.load offset=84 (local.get $g)))
    (local.set $s (call $scratch (local.get $g) (local.get $tid)))
    (local.set $rm (i32.add (local.get $s) (i32.shl (i32.mul (local.get $mb) (local.get $kb)) (i32.const 2))))
    (local.set $tmp (i32.add (local.get $rm) (i32.shl (i32.mul (local.get $mb) (local.get $kb)) (i32.const 2))))
    (if (i32.eqz (i32.load offset=108 (local.get $g)))
      (then
        ;; W unpacked (a linear layer on a few rows, conv.ts's choice: packing would copy the
        ;; whole weight for a product that reads it once): units are blocks of 256 columns,
        ;; each over every row, W's rows read in place (CO floats apart)
        (block $done (loop $column_blocks
          (local.set $n0 (i32.shl (call $next (local.get $g)) (i32.const 8)))
          (br_if $done (i32.ge_u (local.get $n0) (local.get $CO)))
          (local.set $cols (call $min (i32.const 256) (i32.sub (local.get $CO) (local.get $n0))))
          (local.set $k0 (i32.const 0))
          (block $kdone (loop $ksteps
            (br_if $kdone (i32.ge_u (local.get $k0) (local.get $K)))
            (local.set $ks (call $min (local.get $kb) (i32.sub (local.get $K) (local.get $k0))))
            (call $pack_tiles (i32.load offset=0 (local.get $g)) (local.get $K) (i32.const 0) (local.get $M) (local.get $k0) (local.get $ks) (local.get $s))
            (local.set $flags (select (i32.const 1) (i32.and (i32.load offset=24 (local.get $g)) (i32.const 2)) (local.get $k0)))
            (if (i32.ge_u (i32.add (local.get $k0) (local.get $ks)) (local.get $K))
              (then (local.set $flags (i32.or (local.get $flags) (i32.shl (i32.and (i32.load offset=24 (local.get $g)) (i32.const 1)) (i32.const 2))))))
            (call $gemm (local.get $s) (i32.const 24) (i32.mul (local.get $ks) (i32.const 24)) (local.get $M)
              (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $CO)) (local.get $n0)) (i32.const 2)))
              (i32.shl (local.get $CO) (i32.const 2)) (i32.const 32)
              (local.get $cols) (local.get $ks)
              (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (local.get $n0) (i32.const 2))) (i32.shl (local.get $CO) (i32.const 2))
              (local.get $flags) (i32.add (i32.load offset=8 (local.get $g)) (i32.shl (local.get $n0) (i32.const 2))) (local.get $tmp))
            (local.set $k0 (i32.add (local.get $k0) (local.get $ks)))
            (br $ksteps)))
          (br $column_blocks)))
        (return)))
    (block $done (loop $units
      (local.set $m0 (i32.mul (call $next (local.get $g)) (local.get $mb)))
      (br_if $done (i32.ge_u (local.get $m0) (local.get $M)))
      (local.set $rows (call $min (local.get $mb) (i32.sub (local.get $M) (local.get $m0))))
      (local.set $k0 (i32.const 0))
      (block $kdone (loop $ksteps
        (br_if $kdone (i32.ge_u (local.get $k0) (local.get $K)))
        (local.set $ks (call $min (local.get $kb) (i32.sub (local.get $K) (local.get $k0))))
        (if (call $direct (local.get $g))
          (then (call $pack_tiles (i32.load offset=0 (local.get $g)) (local.get $K) (local.get $m0) (local.get $rows) (local.get $k0) (local.get $ks) (local.get $s)))
          (else
            ;; row-major first (whole runs copied), then in tiles
            (call $im2col (local.get $g) (i32.load offset=0 (local.get $g)) (local.get $m0) (local.get $rows) (local.get $k0) (local.get $ks) (local.get $rm) (i32.const 0))
            (call $pack_tiles (local.get $rm) (local.get $ks) (i32.const 0) (local.get $rows) (i32.const 0) (local.get $ks) (local.get $s))))
        (local.set $flags (select (i32.const 1) (i32.and (i32.load offset=24 (local.get $g)) (i32.const 2)) (local.get $k0)))
        (if (i32.ge_u (i32.add (local.get $k0) (local.get $ks)) (local.get $K))
          (then (local.set $flags (i32.or (local.get $flags) (i32.shl (i32.and (i32.load offset=24 (local.get $g)) (i32.const 1)) (i32.const 2))))))
        ;; W in panels (from pack_w): panel p's row k at word 27's buffer + (p·K + k)·32
        (call $gemm (local.get $s) (i32.const 24) (i32.mul (local.get $ks) (i32.const 24)) (local.get $rows)
          (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (local.get $k0) (i32.const 5))) (i32.const 32) (i32.shl (local.get $K) (i32.const 5))
          (local.get $CO) (local.get $ks)
          (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.mul (local.get $m0) (local.get $CO)) (i32.const 2))) (i32.shl (local.get $CO) (i32.const 2))
          (local.get $flags) (i32.load offset=8 (local.get $g)) (local.get $tmp))
        (local.set $k0 (i32.add (local.get $k0) (local.get $ks)))
        (br $ksteps)))
      (br $units))))

  ;; W [K × CO] in panels of 8 columns (the last zero-padded) into word 27's buffer, panel p's
  ;; row k at (p·K + k)·32, for the forward pass; a unit is 64 rows of W. With flags 8 (the
  ;; input gradient as a forward pass of dy), W is given as the forward pass's [KH,KW,CO,CI] and
  ;; its rows are read flipped and transposed, as $wino_filter_tap reads them.
  (func (export "pack_w") (param $g i32) (param $tid i32) (param $nt i32)
    (local $K i32) (local $CI i32) (local $CO i32) (local $k i32) (local $hi i32) (local $dst i32) (local $flipped i32)
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))) (local.get $CI)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $dst (i32.load offset=108 (local.get $g)))
    (local.set $flipped (i32.and (i32.load offset=24 (local.get $g)) (i32.const 8)))
    (block $all (loop $units
    (local.set $k (i32.mul (call $next (local.get $g)) (i32.const 64)))
    (br_if $all (i32.ge_u (local.get $k) (local.get $K)))
    (local.set $hi (call $min (i32.add (local.get $k) (i32.const 64)) (local.get $K)))
    (if (local.get $flipped)
      (then (call $pack_flipped_rows (local.get $g) (local.get $k) (local.get $hi)))
      (else
        (block $done (loop $rows
          (br_if $done (i32.ge_u (local.get $k) (local.get $hi)))
          (call $panel_row (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (i32.mul (local.get $k) (local.get $CO)) (i32.const 2)))
            (local.get $CO) (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 5))) (i32.shl (local.get $K) (i32.const 5)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $rows)))))
    (br $units))))

  ;; pack_w's rows [k, hi) of the flipped filter: row (t, c), column j is W[KH·KW − 1 − t][j][c],
  ;; CI floats apart down a column; 8 columns by 4 rows at a time go as two 4×4 transposes, the
  ;; 8 rows of W they read reused 4 times (read row by row, W's rows, CI·4 bytes apart, 2 KB at
  ;; 512 channels, would fall in the same few sets of L1).
  (func $pack_flipped_rows (param $g i32) (param $k i32) (param $hi i32)
    (local $K i32) (local $CI i32) (local $CO i32) (local $taps i32) (local $n0 i32) (local $r i32) (local $t i32) (local $c i32)
    (local $src i32) (local $at i32) (local $ld i32) (local $i i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $taps (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))))
    (local.set $K (i32.mul (local.get $taps) (local.get $CI)))
    (local.set $ld (i32.shl (local.get $CI) (i32.const 2)))
    (block $done (loop $panels
      (br_if $done (i32.ge_u (local.get $n0) (local.get $CO)))
      (local.set $r (local.get $k))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $hi)))
        (local.set $t (i32.div_u (local.get $r) (local.get $CI)))
        (local.set $c (i32.sub (local.get $r) (i32.mul (local.get $t) (local.get $CI))))
        (local.set $src (i32.add (i32.load offset=4 (local.get $g)) (i32.shl
          (i32.add (i32.mul (i32.add (i32.mul (i32.sub (i32.sub (local.get $taps) (i32.const 1)) (local.get $t)) (local.get $CO)) (local.get $n0)) (local.get $CI)) (local.get $c))
          (i32.const 2))))
        (local.set $at (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $n0) (i32.const 3)) (local.get $K)) (local.get $r)) (i32.const 5))))
        (if (i32.and (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $CO))
              (i32.and (i32.le_u (i32.add (local.get $c) (i32.const 4)) (local.get $CI)) (i32.le_u (i32.add (local.get $r) (i32.const 4)) (local.get $hi))))
          (then
            (call $transpose4 (v128.load (local.get $src)) (v128.load (i32.add (local.get $src) (local.get $ld)))
              (v128.load (i32.add (local.get $src) (i32.shl (local.get $ld) (i32.const 1)))) (v128.load (i32.add (local.get $src) (i32.mul (local.get $ld) (i32.const 3)))))
            (local.set $a3) (local.set $a2) (local.set $a1) (local.set $a0)
            (local.set $src (i32.add (local.get $src) (i32.shl (local.get $ld) (i32.const 2))))
            (call $transpose4 (v128.load (local.get $src)) (v128.load (i32.add (local.get $src) (local.get $ld)))
              (v128.load (i32.add (local.get $src) (i32.shl (local.get $ld) (i32.const 1)))) (v128.load (i32.add (local.get $src) (i32.mul (local.get $ld) (i32.const 3)))))
            (local.set $b3) (local.set $b2) (local.set $b1) (local.set $b0)
            (v128.store offset=0 (local.get $at) (local.get $a0))
            (v128.store offset=16 (local.get $at) (local.get $b0))
            (v128.store offset=32 (local.get $at) (local.get $a1))
            (v128.store offset=48 (local.get $at) (local.get $b1))
            (v128.store offset=64 (local.get $at) (local.get $a2))
            (v128.store offset=80 (local.get $at) (local.get $b2))
            (v128.store offset=96 (local.get $at) (local.get $a3))
            (v128.store offset=112 (local.get $at) (local.get $b3))
            (local.set $r (i32.add (local.get $r) (i32.const 4))))
          (else
            ;; one row, its columns past CO zeros
            (local.set $i (i32.const 0))
            (block $d (loop $columns
              (br_if $d (i32.ge_u (local.get $i) (i32.const 8)))
              (f32.store (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 2)))
                (if (result f32) (i32.lt_u (i32.add (local.get $n0) (local.get $i)) (local.get $CO))
                  (then (f32.load (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $ld)))))
                  (else (f32.const 0))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $columns)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))))
        (br $rows)))
      (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
      (br $panels))))

  ;; the columns of the 4×4 matrix whose rows are r0…r3
  (func $transpose4 (param $r0 v128) (param $r1 v128) (param $r2 v128) (param $r3 v128) (result v128 v128 v128 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    ;; t0 = (r0₀ r1₀ r0₁ r1₁), t1 = (r0₂ r1₂ r0₃ r1₃), t2, t3 the same of r2, r3
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))

  ;; dW = Aᵀ·dy, a unit being a chunk of kb of dW's rows (no reduction across threads): over M
  ;; in blocks of mb, the block of dy packed in panels and the chunk's block of A (row-major: 6
  ;; consecutive columns are a tile of dW's rows), their product added into dW from the second
  ;; block on. Scratch per thread: mb·CO floats of panels (CO rounded up to 8), mb·kb of A,
  ;; then the GEMM's mb·8 + 64.
  (func (export "conv_dw") (param $g i32) (param $tid i32) (param $nt i32)
    (local $M i32) (local $K i32) (local $CO i32) (local $mb i32) (local $kb i32)
    (local $m0 i32) (local $rows i32) (local $k0 i32) (local $ks i32)
    (local $panels i32) (local $a i32) (local $tmp i32)
    (local.set $M (i32.mul (i32.load offset=28 (local.get $g)) (i32.mul (i32.load offset=44 (local.get $g)) (i32.load offset=48 (local.get $g)))))
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))) (i32.load offset=40 (local.get $g))))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $mb (i32.load offset=80 (local.get $g)))
    (local.set $kb (i32.load offset=84 (local.get $g)))
    (local.set $panels (call $scratch (local.get $g) (local.get $tid)))
    (local.set $a (i32.add (local.get $panels) (i32.shl (i32.mul (local.get $mb) (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8))) (i32.const 2))))
    (local.set $tmp (i32.add (local.get $a) (i32.shl (i32.mul (local.get $mb) (local.get $kb)) (i32.const 2))))
    (block $done (loop $units
      (local.set $k0 (i32.mul (call $next (local.get $g)) (local.get $kb)))
      (br_if $done (i32.ge_u (local.get $k0) (local.get $K)))
      (local.set $ks (call $min (local.get $kb) (i32.sub (local.get $K) (local.get $k0))))
      (local.set $m0 (i32.const 0))
      (block $mdone (loop $blocks
        (br_if $mdone (i32.ge_u (local.get $m0) (local.get $M)))
        (local.set $rows (call $min (local.get $mb) (i32.sub (local.get $M) (local.get $m0))))
        (call $pack_panels (i32.load offset=92 (local.get $g)) (local.get $CO) (local.get $m0) (local.get $rows) (local.get $CO) (local.get $panels))
        (call $im2col (local.get $g) (i32.load offset=0 (local.get $g)) (local.get $m0) (local.get $rows) (local.get $k0) (local.get $ks) (local.get $a) (i32.const 0))
        ;; rows of this GEMM: dW's rows k0 + i (A's columns, 4 bytes apart); reduction: m
        (call $gemm (local.get $a) (i32.shl (local.get $ks) (i32.const 2)) (i32.const 24) (local.get $ks)
          (local.get $panels) (i32.const 32) (i32.shl (local.get $rows) (i32.const 5))
          (local.get $CO) (local.get $rows)
          (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.mul (local.get $k0) (local.get $CO)) (i32.const 2))) (i32.shl (local.get $CO) (i32.const 2))
          (select (i32.const 1) (i32.const 0) (local.get $m0)) (i32.const 0) (local.get $tmp))
        (local.set $m0 (i32.add (local.get $m0) (local.get $rows)))
        (br $blocks)))
      (br $units))))

  ;; ---------------------------------------------------------------- the taps inside x
  ;; A small output with padding spends much of im2col's product on zeros: ResNet-18's last 3×3
  ;; layers, 3×3 pixels at padding 1, have 49 of their 81 window taps inside x. Output pixels at
  ;; the same position share which taps are inside, a rectangle kh ∈ [kh0, kh1) × kw ∈ [kw0,
  ;; kw1), and a kernel row's run of taps is (kw1 − kw0)·CI contiguous floats both of x's row
  ;; (NHWC) and of W's rows, so these passes go position by position over those runs alone.

  ;; the kernel taps [lo, hi) of output row (or column) o whose input index o·s − p + tap is in [0, size)
  (func $taps_inside (param $o i32) (param $s i32) (param $p i32) (param $k i32) (param $size i32) (result i32 i32)
    (local $at i32)
    (local.set $at (i32.sub (i32.mul (local.get $o) (local.get $s)) (local.get $p)))
    (call $max (i32.const 0) (i32.sub (i32.const 0) (local.get $at)))
    (call $min (local.get $k) (i32.sub (local.get $size) (local.get $at))))

  ;; the output rows (or columns) [lo, hi) of `out` whose tap `tap` is inside x's `size`: o·s − p + tap ∈ [0, size)
  (func $pixels_inside (param $tap i32) (param $s i32) (param $p i32) (param $out i32) (param $size i32) (result i32 i32)
    (local $lo i32) (local $hi i32) (local $end i32)
    (local.set $lo (i32.sub (local.get $p) (local.get $tap)))
    (local.set $lo (select (i32.div_u (i32.add (local.get $lo) (i32.sub (local.get $s) (i32.const 1))) (local.get $s)) (i32.const 0) (i32.gt_s (local.get $lo) (i32.const 0))))
    (local.set $end (i32.add (i32.sub (local.get $size) (local.get $tap)) (local.get $p)))
    (local.set $hi (select (call $min (local.get $out) (i32.div_u (i32.add (local.get $end) (i32.sub (local.get $s) (i32.const 1))) (local.get $s))) (i32.const 0) (i32.gt_s (local.get $end) (i32.const 0))))
    (local.get $lo)
    (call $max (local.get $lo) (local.get $hi)))

  ;; y = act(x ⊛ W + bias) over the taps inside x, tap by tap: the output pixels whose tap t
  ;; is inside x (a rectangle of each image) times W's rows of t. A unit is a block of word 26's
  ;; count of images and nb of the output channels (word 24). Its rows of y are kept in
  ;; pixel-major order (row p·G + n: image n's pixel p; in word 27's buffer after W's panels, at
  ;; the images' rows), so that a tap's pixels are one run of rows per output row, or one run
  ;; where the rectangle's rows are whole; each run goes in blocks of up to mb rows, packed in
  ;; tiles straight from x, kb of the reduction (x's channels) at a time, and added into those
  ;; rows. The rows start from the bias (or zeros) and end in y, image-major, with the relu.
  ;; W packed by pack_w. Scratch per thread: mb (rounded up to 6)·kb floats of tiles, kb zeros,
  ;; the GEMM's kb·8 + 64.
  (func (export "conv_taps_fwd") (param $g i32) (param $tid i32) (param $nt i32)
    (local $N i32) (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $CO i32) (local $KW i32)
    (local $P i32) (local $K i32) (local $mb i32) (local $kb i32) (local $nb i32) (local $group i32) (local $columns i32)
    (local $u i32) (local $n0 i32) (local $G i32) (local $c0 i32) (local $cols i32) (local $rows_y i32) (local $ldc i32)
    (local $t i32) (local $kh i32) (local $kw i32) (local $oh0 i32) (local $oh1 i32) (local $ow0 i32) (local $ow1 i32) (local $oh i32) (local $last i32)
    (local $k0 i32) (local $k1 i32) (local $j0 i32) (local $rows i32) (local $r i32) (local $c i32) (local $ks i32)
    (local $tiles i32) (local $zeros i32) (local $tmp i32) (local $p i32) (local $q i32) (local $flags i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32)
    (local.set $N (i32.load offset=28 (local.get $g)))
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $P (i32.mul (local.get $OH) (local.get $OW)))
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (local.get $KW)) (local.get $CI)))
    (local.set $mb (i32.load offset=80 (local.get $g)))
    (local.set $kb (i32.load offset=84 (local.get $g)))
    (local.set $nb (i32.load offset=96 (local.get $g)))
    (local.set $group (i32.load offset=104 (local.get $g)))
    (local.set $flags (i32.load offset=24 (local.get $g)))
    (local.set $columns (i32.div_u (i32.add (local.get $CO) (i32.sub (local.get $nb) (i32.const 1))) (local.get $nb)))
    (local.set $ldc (i32.shl (local.get $CO) (i32.const 2)))
    (local.set $tiles (call $scratch (local.get $g) (local.get $tid)))
    (local.set $zeros (i32.add (local.get $tiles) (i32.mul (i32.mul (i32.div_u (i32.add (local.get $mb) (i32.const 5)) (i32.const 6)) (i32.const 24)) (local.get $kb))))
    (local.set $tmp (i32.add (local.get $zeros) (i32.shl (local.get $kb) (i32.const 2))))
    (call $zero (local.get $zeros) (local.get $kb))
    (block $done (loop $units
      (local.set $u (call $next (local.get $g)))
      (br_if $done (i32.ge_u (local.get $u) (i32.mul (i32.div_u (i32.add (local.get $N) (i32.sub (local.get $group) (i32.const 1))) (local.get $group)) (local.get $columns))))
      (local.set $n0 (i32.mul (i32.div_u (local.get $u) (local.get $columns)) (local.get $group)))
      (local.set $G (call $min (local.get $group) (i32.sub (local.get $N) (local.get $n0))))
      (local.set $c0 (i32.mul (i32.rem_u (local.get $u) (local.get $columns)) (local.get $nb)))
      (local.set $cols (call $min (local.get $nb) (i32.sub (local.get $CO) (local.get $c0))))
      ;; the block's rows of y, pixel-major, at its columns
      (local.set $rows_y (i32.add (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.mul (local.get $K) (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8))) (i32.const 2)))
        (i32.shl (i32.add (i32.mul (i32.mul (local.get $n0) (local.get $P)) (local.get $CO)) (local.get $c0)) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $started (loop $start
        (br_if $started (i32.ge_u (local.get $r) (i32.mul (local.get $P) (local.get $G))))
        (local.set $p (i32.add (local.get $rows_y) (i32.mul (local.get $r) (local.get $ldc))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (call $copy (i32.add (i32.load offset=8 (local.get $g)) (i32.shl (local.get $c0) (i32.const 2))) (local.get $p) (local.get $cols)))
          (else (call $zero (local.get $p) (local.get $cols))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $start)))
      (local.set $t (i32.const 0))
      (block $taps_done (loop $taps
        (br_if $taps_done (i32.ge_u (local.get $t) (i32.mul (i32.load offset=56 (local.get $g)) (local.get $KW))))
        (local.set $kh (i32.div_u (local.get $t) (local.get $KW)))
        (local.set $kw (i32.rem_u (local.get $t) (local.get $KW)))
        (call $pixels_inside (local.get $kh) (i32.load offset=64 (local.get $g)) (i32.load offset=72 (local.get $g)) (local.get $OH) (local.get $H))
        (local.set $oh1)
        (local.set $oh0)
        (call $pixels_inside (local.get $kw) (i32.load offset=68 (local.get $g)) (i32.load offset=76 (local.get $g)) (local.get $OW) (local.get $W))
        (local.set $ow1)
        (local.set $ow0)
        (local.set $oh (local.get $oh0))
        (block $runs_done (loop $runs
          (br_if $runs_done (i32.or (i32.ge_u (local.get $oh) (local.get $oh1)) (i32.ge_u (local.get $ow0) (local.get $ow1))))
          (call $taps_run (local.get $oh) (local.get $oh1) (local.get $ow0) (local.get $ow1) (local.get $OW) (local.get $G))
          (local.set $k1) (local.set $k0) (local.set $last)
          (local.set $j0 (local.get $k0))
          (block $blocks_done (loop $row_blocks
            (br_if $blocks_done (i32.ge_u (local.get $j0) (local.get $k1)))
            (local.set $rows (call $min (local.get $mb) (i32.sub (local.get $k1) (local.get $j0))))
            (local.set $c (i32.const 0))
            (block $steps_done (loop $steps
              (br_if $steps_done (i32.ge_u (local.get $c) (local.get $CI)))
              (local.set $ks (call $min (local.get $kb) (i32.sub (local.get $CI) (local.get $c))))
              ;; the rows' x values at tap t, channels [c, c + ks), in tiles of 6 rows (zeros past the block's last)
              (local.set $r (i32.const 0))
              (block $packed (loop $pack
                (br_if $packed (i32.ge_u (local.get $r) (local.get $rows)))
                (local.set $a0 (call $taps_row (local.get $g) (i32.add (local.get $j0) (local.get $r)) (local.get $G) (local.get $n0) (local.get $kh) (local.get $kw) (local.get $c)))
                (local.set $a1 (select (call $taps_row (local.get $g) (i32.add (local.get $j0) (i32.add (local.get $r) (i32.const 1))) (local.get $G) (local.get $n0) (local.get $kh) (local.get $kw) (local.get $c)) (local.get $zeros) (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows))))
                (local.set $a2 (select (call $taps_row (local.get $g) (i32.add (local.get $j0) (i32.add (local.get $r) (i32.const 2))) (local.get $G) (local.get $n0) (local.get $kh) (local.get $kw) (local.get $c)) (local.get $zeros) (i32.lt_u (i32.add (local.get $r) (i32.const 2)) (local.get $rows))))
                (local.set $a3 (select (call $taps_row (local.get $g) (i32.add (local.get $j0) (i32.add (local.get $r) (i32.const 3))) (local.get $G) (local.get $n0) (local.get $kh) (local.get $kw) (local.get $c)) (local.get $zeros) (i32.lt_u (i32.add (local.get $r) (i32.const 3)) (local.get $rows))))
                (local.set $a4 (select (call $taps_row (local.get $g) (i32.add (local.get $j0) (i32.add (local.get $r) (i32.const 4))) (local.get $G) (local.get $n0) (local.get $kh) (local.get $kw) (local.get $c)) (local.get $zeros) (i32.lt_u (i32.add (local.get $r) (i32.const 4)) (local.get $rows))))
                (local.set $a5 (select (call $taps_row (local.get $g) (i32.add (local.get $j0) (i32.add (local.get $r) (i32.const 5))) (local.get $G) (local.get $n0) (local.get $kh) (local.get $kw) (local.get $c)) (local.get $zeros) (i32.lt_u (i32.add (local.get $r) (i32.const 5)) (local.get $rows))))
                (call $pack_tile6 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3) (local.get $a4) (local.get $a5) (local.get $ks)
                  (i32.add (local.get $tiles) (i32.shl (i32.mul (local.get $r) (local.get $ks)) (i32.const 2))))
                (local.set $r (i32.add (local.get $r) (i32.const 6)))
                (br $pack)))
              (call $gemm (local.get $tiles) (i32.const 24) (i32.mul (local.get $ks) (i32.const 24)) (local.get $rows)
                (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $c0) (i32.const 3)) (local.get $K)) (i32.add (i32.mul (local.get $t) (local.get $CI)) (local.get $c))) (i32.const 5)))
                (i32.const 32) (i32.shl (local.get $K) (i32.const 5))
                (local.get $cols) (local.get $ks)
                (i32.add (local.get $rows_y) (i32.mul (local.get $j0) (local.get $ldc))) (local.get $ldc)
                (i32.const 1) (i32.const 0) (local.get $tmp))
              (local.set $c (i32.add (local.get $c) (local.get $ks)))
              (br $steps)))
            (local.set $j0 (i32.add (local.get $j0) (local.get $rows)))
            (br $row_blocks)))
          (local.set $oh (local.get $last))
          (br $runs)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $taps)))
      ;; the rows into y, image-major, with the relu
      (local.set $r (i32.const 0))
      (block $out_done (loop $out
        (br_if $out_done (i32.ge_u (local.get $r) (i32.mul (local.get $P) (local.get $G))))
        ;; row r: image r mod G's pixel r / G
        (local.set $p (i32.div_u (local.get $r) (local.get $G)))
        (local.set $q (i32.add (i32.load offset=12 (local.get $g))
          (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (local.get $n0) (i32.sub (local.get $r) (i32.mul (local.get $p) (local.get $G)))) (local.get $P)) (local.get $p)) (local.get $CO)) (local.get $c0)) (i32.const 2))))
        (call $copy_relu (i32.add (local.get $rows_y) (i32.mul (local.get $r) (local.get $ldc))) (local.get $q) (local.get $cols) (i32.and (local.get $flags) (i32.const 1)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $out)))
      (br $units))))

  ;; conv_taps_fwd's product output pixel by output pixel, for few input channels (where a
  ;; tap's product over them alone is short). A unit is one output pixel of a block of word 26's
  ;; count of images: its rows are that pixel of each (OH·OW rows apart in y), its reduction each
  ;; kernel row's run of inside taps in steps of up to kb, packed in tiles straight from x (a
  ;; row-major matrix whose rows, the images, are H·W·CI floats apart). W packed by pack_w.
  ;; Scratch per thread: the block's rows (rounded up to 6)·kb floats of tiles, the GEMM's
  ;; kb·8 + 64.
  (func (export "conv_taps_pixels_fwd") (param $g i32) (param $tid i32) (param $nt i32)
    (local $N i32) (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $CO i32) (local $KW i32)
    (local $K i32) (local $kb i32) (local $group i32) (local $blocks i32) (local $u i32) (local $pixel i32) (local $image i32)
    (local $n0 i32) (local $rows i32) (local $oh i32) (local $ow i32)
    (local $kh i32) (local $kh1 i32) (local $kw0 i32) (local $kw1 i32) (local $taps i32) (local $src i32)
    (local $k0 i32) (local $ks i32) (local $flags i32) (local $s i32) (local $tmp i32)
    (local.set $N (i32.load offset=28 (local.get $g)))
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (local.get $KW)) (local.get $CI)))
    (local.set $kb (i32.load offset=84 (local.get $g)))
    (local.set $group (i32.load offset=104 (local.get $g)))
    (local.set $blocks (i32.div_u (i32.add (local.get $N) (i32.sub (local.get $group) (i32.const 1))) (local.get $group)))
    (local.set $image (i32.mul (i32.mul (local.get $H) (local.get $W)) (local.get $CI)))
    (local.set $s (call $scratch (local.get $g) (local.get $tid)))
    (local.set $tmp (i32.add (local.get $s) (i32.mul (i32.mul (i32.div_u (i32.add (local.get $group) (i32.const 5)) (i32.const 6)) (i32.const 24)) (local.get $kb))))
    (block $done (loop $units
      (local.set $u (call $next (local.get $g)))
      (br_if $done (i32.ge_u (local.get $u) (i32.mul (i32.mul (local.get $OH) (local.get $OW)) (local.get $blocks))))
      (local.set $pixel (i32.div_u (local.get $u) (local.get $blocks)))
      (local.set $n0 (i32.mul (i32.rem_u (local.get $u) (local.get $blocks)) (local.get $group)))
      (local.set $rows (call $min (local.get $group) (i32.sub (local.get $N) (local.get $n0))))
      (local.set $oh (i32.div_u (local.get $pixel) (local.get $OW)))
      (local.set $ow (i32.rem_u (local.get $pixel) (local.get $OW)))
      (call $taps_inside (local.get $oh) (i32.load offset=64 (local.get $g)) (i32.load offset=72 (local.get $g)) (i32.load offset=56 (local.get $g)) (local.get $H))
      (local.set $kh1)
      (local.set $kh)
      (call $taps_inside (local.get $ow) (i32.load offset=68 (local.get $g)) (i32.load offset=76 (local.get $g)) (local.get $KW) (local.get $W))
      (local.set $kw1)
      (local.set $kw0)
      (local.set $taps (i32.mul (i32.sub (local.get $kw1) (local.get $kw0)) (local.get $CI)))
      ;; the first step starts from the bias (or overwrites y), the last applies the relu
      (local.set $flags (i32.and (i32.load offset=24 (local.get $g)) (i32.const 2)))
      (block $rows_done (loop $kernel_rows
        (br_if $rows_done (i32.ge_u (local.get $kh) (local.get $kh1)))
        ;; x's image n0, row oh·sh + kh − ph, column ow·sw + kw0 − pw
        (local.set $src (i32.add (i32.load offset=0 (local.get $g)) (i32.shl (i32.add (i32.mul (local.get $n0) (local.get $image))
          (i32.mul (i32.add (i32.mul (i32.sub (i32.add (i32.mul (local.get $oh) (i32.load offset=64 (local.get $g))) (local.get $kh)) (i32.load offset=72 (local.get $g))) (local.get $W))
              (i32.sub (i32.add (i32.mul (local.get $ow) (i32.load offset=68 (local.get $g))) (local.get $kw0)) (i32.load offset=76 (local.get $g))))
            (local.get $CI))) (i32.const 2))))
        (local.set $k0 (i32.const 0))
        (block $steps_done (loop $steps
          (br_if $steps_done (i32.ge_u (local.get $k0) (local.get $taps)))
          (local.set $ks (call $min (local.get $kb) (i32.sub (local.get $taps) (local.get $k0))))
          (call $pack_tiles (local.get $src) (local.get $image) (i32.const 0) (local.get $rows) (local.get $k0) (local.get $ks) (local.get $s))
          (if (i32.and (i32.ge_u (i32.add (local.get $kh) (i32.const 1)) (local.get $kh1)) (i32.ge_u (i32.add (local.get $k0) (local.get $ks)) (local.get $taps)))
            (then (local.set $flags (i32.or (local.get $flags) (i32.shl (i32.and (i32.load offset=24 (local.get $g)) (i32.const 1)) (i32.const 2))))))
          (call $gemm (local.get $s) (i32.const 24) (i32.mul (local.get $ks) (i32.const 24)) (local.get $rows)
            (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $KW)) (local.get $kw0)) (local.get $CI)) (local.get $k0)) (i32.const 5)))
            (i32.const 32) (i32.shl (local.get $K) (i32.const 5))
            (local.get $CO) (local.get $ks)
            (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n0) (i32.mul (local.get $OH) (local.get $OW))) (local.get $pixel)) (local.get $CO)) (i32.const 2)))
            (i32.shl (i32.mul (i32.mul (local.get $OH) (local.get $OW)) (local.get $CO)) (i32.const 2))
            (local.get $flags) (i32.load offset=8 (local.get $g)) (local.get $tmp))
          (local.set $flags (i32.const 1))
          (local.set $k0 (i32.add (local.get $k0) (local.get $ks)))
          (br $steps)))
        (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
        (br $kernel_rows)))
      (br $units))))

  ;; the address of x's channel c at tap (kh, kw) of row k of conv_taps_fwd's block (image
  ;; n0 + k mod G, output pixel k / G)
  (func $taps_row (param $g i32) (param $k i32) (param $G i32) (param $n0 i32) (param $kh i32) (param $kw i32) (param $c i32) (result i32)
    (local $pixel i32) (local $OW i32)
    (local.set $pixel (i32.div_u (local.get $k) (local.get $G)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (i32.add (i32.load offset=0 (local.get $g)) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul
        (i32.add (local.get $n0) (i32.sub (local.get $k) (i32.mul (local.get $pixel) (local.get $G)))) (i32.load offset=32 (local.get $g)))
        (i32.sub (i32.add (i32.mul (i32.div_u (local.get $pixel) (local.get $OW)) (i32.load offset=64 (local.get $g))) (local.get $kh)) (i32.load offset=72 (local.get $g))))
        (i32.load offset=36 (local.get $g)))
        (i32.sub (i32.add (i32.mul (i32.rem_u (local.get $pixel) (local.get $OW)) (i32.load offset=68 (local.get $g))) (local.get $kw)) (i32.load offset=76 (local.get $g))))
      (i32.load offset=40 (local.get $g))) (local.get $c)) (i32.const 2))))

  ;; n floats from src to dst, with relu ≠ 0 their max with 0
  (func $copy_relu (param $src i32) (param $dst i32) (param $n i32) (param $relu i32)
    (local $end i32)
    (if (i32.eqz (local.get $relu)) (then (call $copy (local.get $src) (local.get $dst) (local.get $n)) (return)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store (local.get $dst) (f32x4.pmax (v128.const f32x4 0 0 0 0) (v128.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $rest
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (f32.store (local.get $dst) (f32.max (f32.const 0) (f32.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $rest))))

  ;; the run of rows from output row oh of a tap's rectangle [oh, oh1) × [ow0, ow1), rows in
  ;; pixel-major order (G a pixel): this row's pixels, or all the rows left when they are
  ;; whole. Returns the output row after the run and its rows [k0, k1).
  (func $taps_run (param $oh i32) (param $oh1 i32) (param $ow0 i32) (param $ow1 i32) (param $OW i32) (param $G i32) (result i32 i32 i32)
    (local $last i32)
    (local.set $last (select (local.get $oh1) (i32.add (local.get $oh) (i32.const 1))
      (i32.and (i32.eqz (local.get $ow0)) (i32.eq (local.get $ow1) (local.get $OW)))))
    (local.get $last)
    (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $OW)) (local.get $ow0)) (local.get $G))
    (i32.mul (i32.add (i32.mul (i32.sub (local.get $last) (i32.const 1)) (local.get $OW)) (local.get $ow1)) (local.get $G)))

  ;; dy in panels of 8 columns (word 27's buffer) with its rows in pixel-major order: row
  ;; p·N + n is image n's output pixel p, so that the pixels whose tap t is inside x, a
  ;; rectangle of each image, are contiguous runs of rows, one per output row (conv_taps_dw).
  ;; A unit is an output pixel.
  (func (export "taps_dy_panels") (param $g i32) (param $tid i32) (param $nt i32)
    (local $N i32) (local $P i32) (local $CO i32) (local $p i32) (local $n i32) (local $k i32)
    (local.set $N (i32.load offset=28 (local.get $g)))
    (local.set $P (i32.mul (i32.load offset=44 (local.get $g)) (i32.load offset=48 (local.get $g))))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (block $done (loop $units
      (local.set $p (call $next (local.get $g)))
      (br_if $done (i32.ge_u (local.get $p) (local.get $P)))
      (local.set $n (i32.const 0))
      (block $images_done (loop $images
        (br_if $images_done (i32.ge_u (local.get $n) (local.get $N)))
        (local.set $k (i32.add (i32.mul (local.get $p) (local.get $N)) (local.get $n)))
        (call $panel_row
          (i32.add (i32.load offset=92 (local.get $g)) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $P)) (local.get $p)) (local.get $CO)) (i32.const 2)))
          (local.get $CO) (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (local.get $k) (i32.const 5)))
          (i32.shl (i32.mul (local.get $N) (local.get $P)) (i32.const 5)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $images)))
      (br $units))))

  ;; dW = Aᵀ·dy over the taps inside x. A unit is one tap t = (kh, kw) and a block of kb of its
  ;; input channels, dW's rows t·CI + [c0, c0 + kb), summed over the output pixels whose tap t
  ;; is inside x, a rectangle [oh0, oh1) × [ow0, ow1) of each image: in taps_dy_panels' order, a
  ;; run of rows of dy's panels per output row (one run where the rectangle's rows are whole).
  ;; Each run in blocks of up to mb rows: their x values (kb floats each) gathered row-major,
  ;; then one product. Scratch per thread: mb·kb floats of x, the GEMM's mb·8 + 64.
  (func (export "conv_taps_dw") (param $g i32) (param $tid i32) (param $nt i32)
    (local $N i32) (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $CO i32) (local $KW i32)
    (local $mb i32) (local $kb i32) (local $blocks i32) (local $u i32) (local $t i32) (local $c0 i32) (local $ks i32)
    (local $kh i32) (local $kw i32) (local $oh0 i32) (local $oh1 i32) (local $ow0 i32) (local $ow1 i32) (local $oh i32) (local $last i32)
    (local $k0 i32) (local $k1 i32) (local $j0 i32) (local $rows i32) (local $r i32) (local $k i32) (local $pixel i32) (local $n i32)
    (local $a i32) (local $tmp i32) (local $dw i32) (local $flags i32)
    (local.set $N (i32.load offset=28 (local.get $g)))
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $mb (i32.load offset=80 (local.get $g)))
    (local.set $kb (i32.load offset=84 (local.get $g)))
    (local.set $blocks (i32.div_u (i32.add (local.get $CI) (i32.sub (local.get $kb) (i32.const 1))) (local.get $kb)))
    (local.set $a (call $scratch (local.get $g) (local.get $tid)))
    (local.set $tmp (i32.add (local.get $a) (i32.shl (i32.mul (local.get $mb) (local.get $kb)) (i32.const 2))))
    (block $done (loop $units
      (local.set $u (call $next (local.get $g)))
      (local.set $t (i32.div_u (local.get $u) (local.get $blocks)))
      (br_if $done (i32.ge_u (local.get $t) (i32.mul (i32.load offset=56 (local.get $g)) (local.get $KW))))
      (local.set $c0 (i32.mul (i32.rem_u (local.get $u) (local.get $blocks)) (local.get $kb)))
      (local.set $ks (call $min (local.get $kb) (i32.sub (local.get $CI) (local.get $c0))))
      (local.set $kh (i32.div_u (local.get $t) (local.get $KW)))
      (local.set $kw (i32.rem_u (local.get $t) (local.get $KW)))
      (call $pixels_inside (local.get $kh) (i32.load offset=64 (local.get $g)) (i32.load offset=72 (local.get $g)) (local.get $OH) (local.get $H))
      (local.set $oh1)
      (local.set $oh0)
      (call $pixels_inside (local.get $kw) (i32.load offset=68 (local.get $g)) (i32.load offset=76 (local.get $g)) (local.get $OW) (local.get $W))
      (local.set $ow1)
      (local.set $ow0)
      (local.set $dw (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.mul (i32.add (i32.mul (local.get $t) (local.get $CI)) (local.get $c0)) (local.get $CO)) (i32.const 2))))
      ;; a tap no output pixel reads inside x has no gradient
      (if (i32.or (i32.ge_u (local.get $oh0) (local.get $oh1)) (i32.ge_u (local.get $ow0) (local.get $ow1)))
        (then (call $zero (local.get $dw) (i32.mul (local.get $ks) (local.get $CO)))))
      (local.set $flags (i32.const 0))
      (local.set $oh (local.get $oh0))
      (block $runs_done (loop $runs
        (br_if $runs_done (i32.or (i32.ge_u (local.get $oh) (local.get $oh1)) (i32.ge_u (local.get $ow0) (local.get $ow1))))
        (call $taps_run (local.get $oh) (local.get $oh1) (local.get $ow0) (local.get $ow1) (local.get $OW) (local.get $N))
        (local.set $k1) (local.set $k0) (local.set $last)
        (local.set $j0 (local.get $k0))
        (block $blocks_done (loop $row_blocks
          (br_if $blocks_done (i32.ge_u (local.get $j0) (local.get $k1)))
          (local.set $rows (call $min (local.get $mb) (i32.sub (local.get $k1) (local.get $j0))))
          (local.set $r (i32.const 0))
          (block $gathered (loop $gather
            (br_if $gathered (i32.ge_u (local.get $r) (local.get $rows)))
            ;; row k: image k mod N's output pixel k / N
            (local.set $k (i32.add (local.get $j0) (local.get $r)))
            (local.set $pixel (i32.div_u (local.get $k) (local.get $N)))
            (local.set $n (i32.sub (local.get $k) (i32.mul (local.get $pixel) (local.get $N))))
            (call $copy
              (i32.add (i32.load offset=0 (local.get $g)) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H))
                  (i32.sub (i32.add (i32.mul (i32.div_u (local.get $pixel) (local.get $OW)) (i32.load offset=64 (local.get $g))) (local.get $kh)) (i32.load offset=72 (local.get $g)))) (local.get $W))
                  (i32.sub (i32.add (i32.mul (i32.rem_u (local.get $pixel) (local.get $OW)) (i32.load offset=68 (local.get $g))) (local.get $kw)) (i32.load offset=76 (local.get $g)))) (local.get $CI))
                (local.get $c0)) (i32.const 2)))
              (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r) (local.get $ks)) (i32.const 2))) (local.get $ks))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $gather)))
          ;; rows of this GEMM: dW's rows (x's channels, 4 bytes apart); reduction: the pixels
          (call $gemm (local.get $a) (i32.shl (local.get $ks) (i32.const 2)) (i32.const 24) (local.get $ks)
            (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (local.get $j0) (i32.const 5))) (i32.const 32)
            (i32.shl (i32.mul (i32.mul (local.get $OH) (local.get $OW)) (local.get $N)) (i32.const 5))
            (local.get $CO) (local.get $rows)
            (local.get $dw) (i32.shl (local.get $CO) (i32.const 2))
            (local.get $flags) (i32.const 0) (local.get $tmp))
          (local.set $flags (i32.const 1))
          (local.set $j0 (i32.add (local.get $j0) (local.get $rows)))
          (br $row_blocks)))
        (local.set $oh (local.get $last))
        (br $runs)))
      (br $units))))

  ;; ---------------------------------------------------------------- sliding windows, no im2col
  ;; For few input channels im2col moves a handful of floats per call and costs more than the
  ;; product, and for k×k kernels of moderate width its k²-fold copy does; these read the image
  ;; in place instead (a zero-padded copy of it where there is padding), through $mk4x8w. Which
  ;; passes take them is conv.ts's pathOf.

  ;; floats of image n zero-padded: (H + 2·ph)·(W + 2·pw)·CI
  (func $image_floats (param $g i32) (result i32)
    (i32.mul (i32.mul (i32.add (i32.load offset=32 (local.get $g)) (i32.shl (i32.load offset=72 (local.get $g)) (i32.const 1)))
      (i32.add (i32.load offset=36 (local.get $g)) (i32.shl (i32.load offset=76 (local.get $g)) (i32.const 1)))) (i32.load offset=40 (local.get $g))))

  ;; floats of a zero-padded image, 0 without padding
  (func $padded_floats (param $g i32) (result i32)
    (select (call $image_floats (local.get $g)) (i32.const 0)
      (i32.or (i32.load offset=72 (local.get $g)) (i32.load offset=76 (local.get $g)))))

  ;; image n of x, or (padding) a zero-padded copy of it in the thread's scratch at $dst:
  ;; returns its address; its rows are (W + 2·pw)·CI floats
  (func $window_image (param $g i32) (param $x i32) (param $n i32) (param $dst i32) (result i32)
    (if (i32.eqz (i32.or (i32.load offset=72 (local.get $g)) (i32.load offset=76 (local.get $g))))
      (then (return (i32.add (local.get $x)
        (i32.shl (i32.mul (local.get $n) (call $image_floats (local.get $g))) (i32.const 2))))))
    (call $pad_image (local.get $g) (local.get $x) (local.get $n) (local.get $dst) (call $padded_floats (local.get $g)))
    (local.get $dst))

  ;; image n of x zero-padded into dst (rows (W + 2·pw)·CI floats), after zeroing `floats` there
  (func $pad_image (param $g i32) (param $x i32) (param $n i32) (param $dst i32) (param $floats i32)
    (local $H i32) (local $CI i32) (local $ph i32) (local $pw i32) (local $row i32) (local $ld i32) (local $src i32) (local $r i32)
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $ph (i32.load offset=72 (local.get $g)))
    (local.set $pw (i32.load offset=76 (local.get $g)))
    (local.set $row (i32.mul (i32.load offset=36 (local.get $g)) (local.get $CI)))
    (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (i32.mul (local.get $n) (local.get $H)) (local.get $row)) (i32.const 2))))
    (local.set $ld (i32.add (local.get $row) (i32.shl (i32.mul (local.get $pw) (local.get $CI)) (i32.const 1))))
    (call $zero (local.get $dst) (local.get $floats))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $H)))
      (call $copy (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r) (local.get $row)) (i32.const 2)))
        (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (i32.add (local.get $r) (local.get $ph)) (local.get $ld)) (i32.mul (local.get $pw) (local.get $CI))) (i32.const 2)))
        (local.get $row))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; y = act(x ⊛ W + bias) reading x's windows in place: each output row in tiles of 4 pixels, each
  ;; tile against every panel of W (packed by pack_w) in one $mk4x8w call over the window's rows
  ;; that meet x. Scratch per thread: the padded image, then the bias zero-padded to whole
  ;; panels (a last panel of fewer than 8 columns reads 8).
  (func (export "conv_window_fwd") (param $g i32) (param $tid i32) (param $nt i32)
    (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $CO i32) (local $KH i32) (local $KW i32)
    (local $sh i32) (local $sw i32) (local $ph i32) (local $ld i32) (local $K i32) (local $n i32) (local $img i32) (local $oh i32) (local $ow i32)
    (local $p i32) (local $flags i32) (local $y i32) (local $bias i32) (local $lane i32) (local $last i32)
    (local $kh0 i32) (local $kh1 i32) (local $rows i32) (local $steps i32) (local $a i32) (local $d1 i32) (local $d2 i32) (local $d3 i32)
    (local $pw i32) (local $kw0 i32) (local $kw1 i32)
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $KH (i32.load offset=56 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $sh (i32.load offset=64 (local.get $g)))
    (local.set $sw (i32.load offset=68 (local.get $g)))
    (local.set $ph (i32.load offset=72 (local.get $g)))
    (local.set $pw (i32.load offset=76 (local.get $g)))
    (local.set $ld (i32.mul (i32.add (local.get $W) (i32.shl (local.get $pw) (i32.const 1))) (local.get $CI)))
    (local.set $K (i32.mul (i32.mul (local.get $KH) (local.get $KW)) (local.get $CI)))
    (local.set $lane (i32.shl (i32.mul (local.get $sw) (local.get $CI)) (i32.const 2)))
    (local.set $flags (i32.or (i32.and (i32.load offset=24 (local.get $g)) (i32.const 2)) (i32.shl (i32.and (i32.load offset=24 (local.get $g)) (i32.const 1)) (i32.const 2))))
    (local.set $bias (i32.add (call $scratch (local.get $g) (local.get $tid)) (i32.shl (call $padded_floats (local.get $g)) (i32.const 2))))
    (call $zero (local.get $bias) (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8)))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then (call $copy (i32.load offset=8 (local.get $g)) (local.get $bias) (local.get $CO))))
    (block $all (loop $units
      (local.set $n (call $next (local.get $g)))
      (br_if $all (i32.ge_u (local.get $n) (i32.load offset=28 (local.get $g))))
      (local.set $img (call $window_image (local.get $g) (i32.load offset=0 (local.get $g)) (local.get $n) (call $scratch (local.get $g) (local.get $tid))))
      (local.set $oh (i32.const 0))
      (block $oh_done (loop $ohs
        (br_if $oh_done (i32.ge_u (local.get $oh) (local.get $OH)))
        ;; the kernel rows that meet x rather than its padding (zeros, whose products are
        ;; skipped); none where the window lies in the padding (an output of bias alone)
        (local.set $kh0 (call $max (i32.const 0) (i32.sub (local.get $ph) (i32.mul (local.get $oh) (local.get $sh)))))
        (local.set $kh1 (call $min (local.get $KH) (i32.sub (i32.add (local.get $ph) (local.get $H)) (i32.mul (local.get $oh) (local.get $sh)))))
        (local.set $rows (i32.lt_s (local.get $kh0) (local.get $kh1)))
        (local.set $kh1 (call $max (local.get $kh1) (i32.add (local.get $kh0) (i32.const 1))))
        (local.set $ow (i32.const 0))
        (block $ow_done (loop $ows
          (br_if $ow_done (i32.ge_u (local.get $ow) (local.get $OW)))
          ;; the tile's last pixel, and y at its first, (n, oh, ow)
          (local.set $last (i32.sub (call $min (i32.const 4) (i32.sub (local.get $OW) (local.get $ow))) (i32.const 1)))
          (local.set $y (i32.add (i32.load offset=12 (local.get $g))
            (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $OH)) (local.get $oh)) (local.get $OW)) (local.get $ow)) (local.get $CO)) (i32.const 2))))
          ;; likewise the kernel columns that meet x for some pixel of the tile (the input
          ;; gradient's dy is padded by KW − 1 − pw: its edge tiles skip a column or more)
          (local.set $kw0 (call $max (i32.const 0) (i32.sub (local.get $pw) (i32.mul (i32.add (local.get $ow) (local.get $last)) (local.get $sw)))))
          (local.set $kw1 (call $min (local.get $KW) (i32.sub (i32.add (local.get $pw) (local.get $W)) (i32.mul (local.get $ow) (local.get $sw)))))
          (local.set $steps (select (i32.mul (i32.sub (local.get $kw1) (local.get $kw0)) (local.get $CI)) (i32.const 0)
            (i32.and (local.get $rows) (i32.lt_s (local.get $kw0) (local.get $kw1)))))
          (local.set $kw1 (call $max (local.get $kw1) (local.get $kw0)))
          (local.set $a (i32.add (local.get $img) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $sh)) (local.get $kh0)) (local.get $ld))
            (i32.mul (i32.add (i32.mul (local.get $ow) (local.get $sw)) (local.get $kw0)) (local.get $CI))) (i32.const 2))))
          (local.set $d1 (i32.mul (call $min (i32.const 1) (local.get $last)) (local.get $lane)))
          (local.set $d2 (i32.mul (call $min (i32.const 2) (local.get $last)) (local.get $lane)))
          (local.set $d3 (i32.mul (call $min (i32.const 3) (local.get $last)) (local.get $lane)))
          (local.set $p (i32.const 0))
          (block $p_done (loop $panels
            (br_if $p_done (i32.ge_u (i32.shl (local.get $p) (i32.const 3)) (local.get $CO)))
            (call $mk4x8w (local.get $a) (local.get $d1) (local.get $d2) (local.get $d3)
              (i32.const 4) (local.get $steps) (i32.sub (local.get $kh1) (local.get $kh0)) (i32.shl (local.get $ld) (i32.const 2))
              ;; the panel's row of W for the first kernel row and column that meet x
              (i32.add (i32.load offset=108 (local.get $g))
                (i32.shl (i32.add (i32.mul (local.get $p) (local.get $K))
                  (i32.mul (i32.add (i32.mul (local.get $kh0) (local.get $KW)) (local.get $kw0)) (local.get $CI))) (i32.const 5)))
              (i32.const 32) (i32.shl (i32.mul (i32.sub (local.get $KW) (i32.sub (local.get $kw1) (local.get $kw0))) (local.get $CI)) (i32.const 5))
              (i32.add (local.get $y) (i32.shl (local.get $p) (i32.const 5))) (i32.shl (local.get $CO) (i32.const 2))
              (i32.add (local.get $last) (i32.const 1)) (call $min (i32.const 8) (i32.sub (local.get $CO) (i32.shl (local.get $p) (i32.const 3))))
              (local.get $flags) (i32.add (local.get $bias) (i32.shl (local.get $p) (i32.const 5))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $panels)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
          (br $ows)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohs)))
      (br $units))))

;; ---------------------------------------------------------------- input gradient, scattered
  ;; dx by adding each dy pixel's share into its window, for kernel rows of KW·CI ≤ 32 floats
  ;; (LeNet's second layer: 30), where the window passes waste lanes and padding: per image, a
  ;; zeroed copy of dx with its padding in the thread's scratch, then per output pixel and kernel
  ;; row, the row's KW·CI floats of dx (as 8 vectors; Wᵗ's zeros past KW·CI leave the floats
  ;; after them as they were, but for a dy of ±∞ or NaN) += Σ over co of dy·Wᵗ[kh][co], Wᵗ being
  ;; [KH × CO × 32] floats at word 1 (conv.ts packs it); the image's interior is then copied to
  ;; dx. A unit is an image. Scratch per thread: the padded image, 32 floats more.
  (func (export "conv_scatter_dx") (param $g i32) (param $tid i32) (param $nt i32)
    (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $CO i32) (local $KH i32)
    (local $sh i32) (local $sw i32) (local $ph i32) (local $pw i32) (local $ld i32) (local $buf i32) (local $floats i32)
    (local $n i32) (local $oy i32) (local $ox i32) (local $kh i32) (local $co i32) (local $dyp i32) (local $run i32) (local $w i32) (local $ih i32)
    (local $s v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $KH (i32.load offset=56 (local.get $g)))
    (local.set $sh (i32.load offset=64 (local.get $g)))
    (local.set $sw (i32.load offset=68 (local.get $g)))
    (local.set $ph (i32.load offset=72 (local.get $g)))
    (local.set $pw (i32.load offset=76 (local.get $g)))
    ;; bytes per row of the padded image
    (local.set $ld (i32.shl (i32.mul (i32.add (local.get $W) (i32.shl (local.get $pw) (i32.const 1))) (local.get $CI)) (i32.const 2)))
    (local.set $buf (call $scratch (local.get $g) (local.get $tid)))
    (local.set $floats (i32.add (i32.mul (i32.add (local.get $H) (i32.shl (local.get $ph) (i32.const 1))) (i32.shr_u (local.get $ld) (i32.const 2))) (i32.const 32)))
    (block $all (loop $units
      (local.set $n (call $next (local.get $g)))
      (br_if $all (i32.ge_u (local.get $n) (i32.load offset=28 (local.get $g))))
      (call $zero (local.get $buf) (local.get $floats))
      (local.set $dyp (i32.add (i32.load offset=92 (local.get $g))
        (i32.shl (i32.mul (i32.mul (local.get $n) (i32.mul (local.get $OH) (local.get $OW))) (local.get $CO)) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $oy_done (loop $oys
        (br_if $oy_done (i32.ge_u (local.get $oy) (local.get $OH)))
        (local.set $ox (i32.const 0))
        (block $ox_done (loop $oxs
          (br_if $ox_done (i32.ge_u (local.get $ox) (local.get $OW)))
          (local.set $kh (i32.const 0))
          (block $kh_done (loop $khs
            (br_if $kh_done (i32.ge_u (local.get $kh) (local.get $KH)))
            (local.set $run (i32.add (local.get $buf) (i32.add
              (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $kh)) (local.get $ld))
              (i32.shl (i32.mul (i32.mul (local.get $ox) (local.get $sw)) (local.get $CI)) (i32.const 2)))))
            (local.set $a0 (v128.load offset=0 (local.get $run)))
            (local.set $a1 (v128.load offset=16 (local.get $run)))
            (local.set $a2 (v128.load offset=32 (local.get $run)))
            (local.set $a3 (v128.load offset=48 (local.get $run)))
            (local.set $a4 (v128.load offset=64 (local.get $run)))
            (local.set $a5 (v128.load offset=80 (local.get $run)))
            (local.set $a6 (v128.load offset=96 (local.get $run)))
            (local.set $a7 (v128.load offset=112 (local.get $run)))
            (local.set $w (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (i32.mul (local.get $kh) (local.get $CO)) (i32.const 7))))
            (local.set $co (i32.const 0))
            (loop $cos
              (local.set $s (v128.load32_splat (i32.add (local.get $dyp) (i32.shl (local.get $co) (i32.const 2)))))
              (local.set $a0 (f32x4.relaxed_madd (local.get $s) (v128.load offset=0 (local.get $w)) (local.get $a0)))
              (local.set $a1 (f32x4.relaxed_madd (local.get $s) (v128.load offset=16 (local.get $w)) (local.get $a1)))
              (local.set $a2 (f32x4.relaxed_madd (local.get $s) (v128.load offset=32 (local.get $w)) (local.get $a2)))
              (local.set $a3 (f32x4.relaxed_madd (local.get $s) (v128.load offset=48 (local.get $w)) (local.get $a3)))
              (local.set $a4 (f32x4.relaxed_madd (local.get $s) (v128.load offset=64 (local.get $w)) (local.get $a4)))
              (local.set $a5 (f32x4.relaxed_madd (local.get $s) (v128.load offset=80 (local.get $w)) (local.get $a5)))
              (local.set $a6 (f32x4.relaxed_madd (local.get $s) (v128.load offset=96 (local.get $w)) (local.get $a6)))
              (local.set $a7 (f32x4.relaxed_madd (local.get $s) (v128.load offset=112 (local.get $w)) (local.get $a7)))
              (local.set $w (i32.add (local.get $w) (i32.const 128)))
              (local.set $co (i32.add (local.get $co) (i32.const 1)))
              (br_if $cos (i32.lt_u (local.get $co) (local.get $CO))))
            (v128.store offset=0 (local.get $run) (local.get $a0))
            (v128.store offset=16 (local.get $run) (local.get $a1))
            (v128.store offset=32 (local.get $run) (local.get $a2))
            (v128.store offset=48 (local.get $run) (local.get $a3))
            (v128.store offset=64 (local.get $run) (local.get $a4))
            (v128.store offset=80 (local.get $run) (local.get $a5))
            (v128.store offset=96 (local.get $run) (local.get $a6))
            (v128.store offset=112 (local.get $run) (local.get $a7))
            (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
            (br $khs)))
          (local.set $dyp (i32.add (local.get $dyp) (i32.shl (local.get $CO) (i32.const 2))))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxs)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oys)))
      ;; the interior rows to dx
      (local.set $ih (i32.const 0))
      (block $ih_done (loop $rows
        (br_if $ih_done (i32.ge_u (local.get $ih) (local.get $H)))
        (call $copy
          (i32.add (local.get $buf) (i32.add (i32.mul (i32.add (local.get $ih) (local.get $ph)) (local.get $ld)) (i32.shl (i32.mul (local.get $pw) (local.get $CI)) (i32.const 2))))
          (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (i32.mul (local.get $W) (local.get $CI))) (i32.const 2)))
          (i32.mul (local.get $W) (local.get $CI)))
        (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
        (br $rows)))
      (br $units))))

  ;; dW = Σ over images of x's windows · dy, read in place, a unit being a group of images (word 26 of them)
  ;; summed in order into the group's own [K × CO rounded up to 8] floats of word 27's buffer,
  ;; which the caller adds together in order: the same sums whichever thread takes which group.
  ;; Scratch per thread: the padded image, then the image's dy in panels of 8 (pack_panels).
  ;; The kernel's K taps in tiles of 4 (across its rows: tap t is float t mod KW·CI of row
  ;; t / KW·CI of the window), each tile against every panel of dy in one $mk4x8w call over all
  ;; output pixels.
  (func (export "conv_window_dw") (param $g i32) (param $tid i32) (param $nt i32)
    (local $OH i32) (local $OW i32) (local $CO i32) (local $K i32) (local $ld i32) (local $row i32) (local $co8 i32) (local $ohw i32)
    (local $acc i32) (local $padded i32) (local $panels i32) (local $n i32) (local $unit i32) (local $end i32) (local $img i32) (local $t i32) (local $last i32) (local $p i32) (local $a i32)
    (local $d1 i32) (local $d2 i32) (local $d3 i32)
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $row (i32.mul (i32.load offset=60 (local.get $g)) (i32.load offset=40 (local.get $g))))
    (local.set $K (i32.mul (i32.load offset=56 (local.get $g)) (local.get $row)))
    (local.set $ld (i32.mul (i32.add (i32.load offset=36 (local.get $g)) (i32.shl (i32.load offset=76 (local.get $g)) (i32.const 1))) (i32.load offset=40 (local.get $g))))
    (local.set $co8 (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8)))
    (local.set $ohw (i32.mul (local.get $OH) (local.get $OW)))
    (local.set $padded (call $scratch (local.get $g) (local.get $tid)))
    (local.set $panels (i32.add (local.get $padded) (i32.shl (call $padded_floats (local.get $g)) (i32.const 2))))
    (block $all (loop $units
      (local.set $unit (call $next (local.get $g)))
      (local.set $n (i32.mul (local.get $unit) (i32.load offset=104 (local.get $g))))
      (br_if $all (i32.ge_u (local.get $n) (i32.load offset=28 (local.get $g))))
      (local.set $end (call $min (i32.add (local.get $n) (i32.load offset=104 (local.get $g))) (i32.load offset=28 (local.get $g))))
      (local.set $acc (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.mul (local.get $unit) (i32.mul (local.get $K) (local.get $co8))) (i32.const 2))))
      (call $zero (local.get $acc) (i32.mul (local.get $K) (local.get $co8)))
      (block $images_done (loop $images
      (br_if $images_done (i32.ge_u (local.get $n) (local.get $end)))
      (local.set $img (call $window_image (local.get $g) (i32.load offset=0 (local.get $g)) (local.get $n) (local.get $padded)))
      (call $pack_panels (i32.load offset=92 (local.get $g)) (local.get $CO) (i32.mul (local.get $n) (local.get $ohw)) (local.get $ohw) (local.get $CO) (local.get $panels))
      (local.set $t (i32.const 0))
      (block $t_done (loop $tiles
        (br_if $t_done (i32.ge_u (local.get $t) (local.get $K)))
        (local.set $last (i32.sub (call $min (i32.const 4) (i32.sub (local.get $K) (local.get $t))) (i32.const 1)))
        (local.set $a (call $tap_offset (local.get $t) (local.get $row) (local.get $ld)))
        (local.set $d1 (i32.sub (call $tap_offset (i32.add (local.get $t) (call $min (i32.const 1) (local.get $last))) (local.get $row) (local.get $ld)) (local.get $a)))
        (local.set $d2 (i32.sub (call $tap_offset (i32.add (local.get $t) (call $min (i32.const 2) (local.get $last))) (local.get $row) (local.get $ld)) (local.get $a)))
        (local.set $d3 (i32.sub (call $tap_offset (i32.add (local.get $t) (call $min (i32.const 3) (local.get $last))) (local.get $row) (local.get $ld)) (local.get $a)))
        (local.set $a (i32.add (local.get $img) (local.get $a)))
        (local.set $p (i32.const 0))
        (block $p_done (loop $ps
          (br_if $p_done (i32.ge_u (i32.shl (local.get $p) (i32.const 3)) (local.get $CO)))
          (call $mk4x8w (local.get $a) (local.get $d1) (local.get $d2) (local.get $d3)
            (i32.shl (i32.mul (i32.load offset=68 (local.get $g)) (i32.load offset=40 (local.get $g))) (i32.const 2)) (local.get $OW)
            (local.get $OH) (i32.shl (i32.mul (i32.load offset=64 (local.get $g)) (local.get $ld)) (i32.const 2))
            (i32.add (local.get $panels) (i32.shl (i32.mul (local.get $p) (local.get $ohw)) (i32.const 5))) (i32.const 32) (i32.const 0)
            (i32.add (local.get $acc) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $co8)) (i32.shl (local.get $p) (i32.const 3))) (i32.const 2)))
            (i32.shl (local.get $co8) (i32.const 2)) (i32.add (local.get $last) (i32.const 1)) (i32.const 8) (i32.const 1) (i32.const 0))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $ps)))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $tiles)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $images)))
      (br $units))))

  ;; byte offset in a padded image (rows ld floats) of the window's tap t, its rows `row` floats
  (func $tap_offset (param $t i32) (param $row i32) (param $ld i32) (result i32)
    (i32.shl (i32.add (i32.mul (i32.div_u (local.get $t) (local.get $row)) (local.get $ld)) (i32.rem_u (local.get $t) (local.get $row))) (i32.const 2)))

  ;; ---------------------------------------------------------------- one input channel
  ;; With one input channel at stride 1 (LeNet's first layer) a window's taps are too few for
  ;; channels in the lanes: $mk4x8w there does 4 broadcasts and 2 loads per 8 multiply-adds,
  ;; and LeNet's 6 output channels fill 3/4 of its lanes. These put consecutive output pixels
  ;; in the lanes instead, loaded straight from an image row (forward: each tap's weight as a
  ;; vector of copies; filter gradient: dy transposed to channel rows).
  ;; The image is always copied, zero-padded, into scratch with 16 floats of slack after it: a
  ;; row's last tile reads up to 7 floats past the row (products that are not kept).

  ;; image n of x zero-padded into dst, with 16 floats of slack; returns dst
  (func $plane_image (param $g i32) (param $n i32) (param $dst i32) (result i32)
    (call $pad_image (local.get $g) (i32.load offset=0 (local.get $g)) (local.get $n) (local.get $dst)
      (i32.add (call $image_floats (local.get $g)) (i32.const 16)))
    (local.get $dst))

  ;; One output row of 6 channels, in tiles of 4 pixels: y = act(bias + Σ over the window's
  ;; taps of x·w). The row's pixel i has its tap (r, k) at a + r·lda + (i + k)·4; channel j's
  ;; weight for tap t is at w + t·wstep + j·16 as a vector of four copies (taps row-major, kh
  ;; rows of kw), bias j at bias + j·4. Pixel i goes to y + i·ldy, its first `chans` channels,
  ;; for i < pixels. Six accumulators, not twelve: V8 loads a tap's six weights before its
  ;; first product, and with a second vector of pixels the 20 live vectors spilled four
  ;; accumulators to the stack (half the speed); the weights are copies in a vector rather
  ;; than broadcast from one float because V8 gives each broadcast's offset its own register,
  ;; and the loop counter then went to the stack.
  (func $plane_row
    (param $a i32) (param $lda i32) (param $kh i32) (param $kw i32) (param $w i32) (param $wstep i32) (param $bias i32)
    (param $y i32) (param $ldy i32) (param $pixels i32) (param $chans i32) (param $relu i32) (param $tmp i32)
    (local $k i32) (local $r i32) (local $at i32) (local $row i32) (local $wt i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $c5 v128) (local $x v128)
    (loop $tiles
      (local.set $c0 (v128.load32_splat offset=0 (local.get $bias)))
      (local.set $c1 (v128.load32_splat offset=4 (local.get $bias)))
      (local.set $c2 (v128.load32_splat offset=8 (local.get $bias)))
      (local.set $c3 (v128.load32_splat offset=12 (local.get $bias)))
      (local.set $c4 (v128.load32_splat offset=16 (local.get $bias)))
      (local.set $c5 (v128.load32_splat offset=20 (local.get $bias)))
      (local.set $row (local.get $a))
      (local.set $wt (local.get $w))
      (local.set $r (local.get $kh))
      (loop $rows
        (local.set $at (local.get $row))
        (local.set $k (local.get $kw))
        (loop $taps
          (local.set $x (v128.load (local.get $at)))
          (local.set $c0 (f32x4.relaxed_madd (local.get $x) (v128.load offset=0 (local.get $wt)) (local.get $c0)))
          (local.set $c1 (f32x4.relaxed_madd (local.get $x) (v128.load offset=16 (local.get $wt)) (local.get $c1)))
          (local.set $c2 (f32x4.relaxed_madd (local.get $x) (v128.load offset=32 (local.get $wt)) (local.get $c2)))
          (local.set $c3 (f32x4.relaxed_madd (local.get $x) (v128.load offset=48 (local.get $wt)) (local.get $c3)))
          (local.set $c4 (f32x4.relaxed_madd (local.get $x) (v128.load offset=64 (local.get $wt)) (local.get $c4)))
          (local.set $c5 (f32x4.relaxed_madd (local.get $x) (v128.load offset=80 (local.get $wt)) (local.get $c5)))
          (local.set $at (i32.add (local.get $at) (i32.const 4)))
          (local.set $wt (i32.add (local.get $wt) (local.get $wstep)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $taps (local.get $k)))
        (local.set $row (i32.add (local.get $row) (local.get $lda)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br_if $rows (local.get $r)))
      (if (local.get $relu)
        (then
          (local.set $c0 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $c0)))
          (local.set $c1 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $c1)))
          (local.set $c2 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $c2)))
          (local.set $c3 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $c3)))
          (local.set $c4 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $c4)))
          (local.set $c5 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $c5)))))
      (if (i32.and (i32.ge_s (local.get $pixels) (i32.const 4)) (i32.eq (local.get $chans) (i32.const 6)))
        (then
          (call $store6x4 (local.get $y) (local.get $ldy)
            (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3) (local.get $c4) (local.get $c5)))
        (else
          ;; a partial tile: channel by channel into tmp (rows of 8 floats), then pixel by pixel
          (v128.store offset=0 (local.get $tmp) (local.get $c0))
          (v128.store offset=32 (local.get $tmp) (local.get $c1))
          (v128.store offset=64 (local.get $tmp) (local.get $c2))
          (v128.store offset=96 (local.get $tmp) (local.get $c3))
          (v128.store offset=128 (local.get $tmp) (local.get $c4))
          (v128.store offset=160 (local.get $tmp) (local.get $c5))
          (call $scatter_tile (local.get $tmp) (local.get $y) (local.get $ldy)
            (call $min (i32.const 4) (local.get $pixels)) (local.get $chans))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.shl (local.get $ldy) (i32.const 2))))
      (local.set $pixels (i32.sub (local.get $pixels) (i32.const 4)))
      (br_if $tiles (i32.gt_s (local.get $pixels) (i32.const 0)))))

  ;; pixel i's first `chans` floats to y + i·ldy for i < pixels, from tmp's [6 × 8] (channel-major)
  (func $scatter_tile (param $tmp i32) (param $y i32) (param $ldy i32) (param $pixels i32) (param $chans i32)
    (local $i i32) (local $j i32)
    (block $done (loop $px
      (br_if $done (i32.ge_u (local.get $i) (local.get $pixels)))
      (local.set $j (i32.const 0))
      (block $dc (loop $ch
        (br_if $dc (i32.ge_u (local.get $j) (local.get $chans)))
        (f32.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))
          (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (i32.shl (local.get $j) (i32.const 3)) (local.get $i)) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $ch)))
      (local.set $y (i32.add (local.get $y) (local.get $ldy)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $px))))

  ;; 4 pixels × 6 channels, one vector of pixels per channel, to pixel i's 6 floats at y + i·ldy:
  ;; a 4×4 transpose of channels 0–3 and channels 4, 5 interleaved in pairs
  (func $store6x4 (param $y i32) (param $ldy i32)
    (param $r0 v128) (param $r1 v128) (param $r2 v128) (param $r3 v128) (param $r4 v128) (param $r5 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $u0 v128) (local $u1 v128)
    ;; (a0 b0 a1 b1) and (a2 b2 a3 b3) of two rows a, b
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    (local.set $u0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r4) (local.get $r5)))
    (local.set $u1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r4) (local.get $r5)))
    (v128.store (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
    (v128.store64_lane offset=16 0 (local.get $y) (local.get $u0))
    (local.set $y (i32.add (local.get $y) (local.get $ldy)))
    (v128.store (local.get $y) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
    (v128.store64_lane offset=16 1 (local.get $y) (local.get $u0))
    (local.set $y (i32.add (local.get $y) (local.get $ldy)))
    (v128.store (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
    (v128.store64_lane offset=16 0 (local.get $y) (local.get $u1))
    (local.set $y (i32.add (local.get $y) (local.get $ldy)))
    (v128.store (local.get $y) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
    (v128.store64_lane offset=16 1 (local.get $y) (local.get $u1)))

  ;; y = act(x ⊛ W + bias) for CI = 1 at stride 1, a unit being an image: each output row by
  ;; $plane_row, 6 channels at a time. W and the bias come packed by the caller (word 1): W as
  ;; [K × CO rounded up to 6 × 4 copies] (zeros past CO), then the bias (zeros without one), so
  ;; that a tile's 6 weights are always there. Scratch per thread: the image (image_floats +
  ;; 16), then 48 floats for a partial tile.
  (func (export "conv_plane_fwd") (param $g i32) (param $tid i32) (param $nt i32)
    (local $OH i32) (local $OW i32) (local $CO i32) (local $KH i32) (local $KW i32) (local $co6 i32) (local $lda i32)
    (local $n i32) (local $img i32) (local $tmp i32) (local $oh i32) (local $c i32) (local $y i32) (local $bias i32) (local $relu i32)
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $KH (i32.load offset=56 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $co6 (i32.mul (i32.div_u (i32.add (local.get $CO) (i32.const 5)) (i32.const 6)) (i32.const 6)))
    (local.set $lda (i32.shl (i32.add (i32.load offset=36 (local.get $g)) (i32.shl (i32.load offset=76 (local.get $g)) (i32.const 1))) (i32.const 2)))
    (local.set $bias (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (i32.mul (i32.mul (local.get $KH) (local.get $KW)) (local.get $co6)) (i32.const 4))))
    (local.set $relu (i32.and (i32.load offset=24 (local.get $g)) (i32.const 1)))
    (local.set $img (call $scratch (local.get $g) (local.get $tid)))
    (local.set $tmp (i32.add (local.get $img) (i32.shl (i32.add (call $image_floats (local.get $g)) (i32.const 16)) (i32.const 2))))
    (block $all (loop $units
      (local.set $n (call $next (local.get $g)))
      (br_if $all (i32.ge_u (local.get $n) (i32.load offset=28 (local.get $g))))
      (drop (call $plane_image (local.get $g) (local.get $n) (local.get $img)))
      (local.set $oh (i32.const 0))
      (block $oh_done (loop $ohs
        (br_if $oh_done (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $y (i32.add (i32.load offset=12 (local.get $g))
          (i32.shl (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $OH)) (local.get $oh)) (local.get $OW)) (local.get $CO)) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $c_done (loop $cs
          (br_if $c_done (i32.ge_u (local.get $c) (local.get $CO)))
          (call $plane_row
            (i32.add (local.get $img) (i32.mul (local.get $oh) (local.get $lda)))
            (local.get $lda) (local.get $KH) (local.get $KW)
            (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (local.get $c) (i32.const 4))) (i32.shl (local.get $co6) (i32.const 4))
            (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2)))
            (i32.add (local.get $y) (i32.shl (local.get $c) (i32.const 2))) (i32.shl (local.get $CO) (i32.const 2))
            (local.get $OW) (call $min (i32.const 6) (i32.sub (local.get $CO) (local.get $c)))
            (local.get $relu) (local.get $tmp))
          (local.set $c (i32.add (local.get $c) (i32.const 6)))
          (br $cs)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohs)))
      (br $units))))

  ;; dW[5 taps × 2 channels] += Σ over an image's output pixels of x·dy: tap k's x for the
  ;; pixels of output row r at a + r·lda + k·4 on, 4 at a time (`vecs` vectors a row), channel
  ;; j's dy for them at d + j·ldd + r·vecs·16 on (a transposed, zero-padded copy of dy).
  ;; Tap k's sum goes to dw + k·ldw + j·4 for k < taps, j < chans, each accumulator's lanes
  ;; added in a fixed order. 10 accumulators, two dy vectors and an x vector.
  (func $mk5x2p
    (param $a i32) (param $lda i32) (param $rows i32) (param $vecs i32) (param $d i32) (param $ldd i32)
    (param $dw i32) (param $ldw i32) (param $taps i32) (param $chans i32)
    (local $at i32) (local $d1 i32) (local $q i32) (local $k i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128) (local $s20 v128) (local $s21 v128)
    (local $s30 v128) (local $s31 v128) (local $s40 v128) (local $s41 v128)
    (local $y0 v128) (local $y1 v128) (local $x v128)
    (local.set $d1 (i32.add (local.get $d) (local.get $ldd)))
    (loop $rows_left
      (local.set $at (local.get $a))
      (local.set $q (local.get $vecs))
      (loop $vectors
        (local.set $y0 (v128.load (local.get $d)))
        (local.set $y1 (v128.load (local.get $d1)))
        (local.set $x (v128.load offset=0 (local.get $at)))
        (local.set $s00 (f32x4.relaxed_madd (local.get $x) (local.get $y0) (local.get $s00)))
        (local.set $s01 (f32x4.relaxed_madd (local.get $x) (local.get $y1) (local.get $s01)))
        (local.set $x (v128.load offset=4 (local.get $at)))
        (local.set $s10 (f32x4.relaxed_madd (local.get $x) (local.get $y0) (local.get $s10)))
        (local.set $s11 (f32x4.relaxed_madd (local.get $x) (local.get $y1) (local.get $s11)))
        (local.set $x (v128.load offset=8 (local.get $at)))
        (local.set $s20 (f32x4.relaxed_madd (local.get $x) (local.get $y0) (local.get $s20)))
        (local.set $s21 (f32x4.relaxed_madd (local.get $x) (local.get $y1) (local.get $s21)))
        (local.set $x (v128.load offset=12 (local.get $at)))
        (local.set $s30 (f32x4.relaxed_madd (local.get $x) (local.get $y0) (local.get $s30)))
        (local.set $s31 (f32x4.relaxed_madd (local.get $x) (local.get $y1) (local.get $s31)))
        (local.set $x (v128.load offset=16 (local.get $at)))
        (local.set $s40 (f32x4.relaxed_madd (local.get $x) (local.get $y0) (local.get $s40)))
        (local.set $s41 (f32x4.relaxed_madd (local.get $x) (local.get $y1) (local.get $s41)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $d1 (i32.add (local.get $d1) (i32.const 16)))
        (local.set $q (i32.sub (local.get $q) (i32.const 1)))
        (br_if $vectors (local.get $q)))
      (local.set $a (i32.add (local.get $a) (local.get $lda)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br_if $rows_left (local.get $rows)))
    (call $add_sums (local.get $dw) (local.get $ldw) (local.get $taps) (local.get $chans) (local.get $s00) (local.get $s01) (i32.const 0))
    (call $add_sums (local.get $dw) (local.get $ldw) (local.get $taps) (local.get $chans) (local.get $s10) (local.get $s11) (i32.const 1))
    (call $add_sums (local.get $dw) (local.get $ldw) (local.get $taps) (local.get $chans) (local.get $s20) (local.get $s21) (i32.const 2))
    (call $add_sums (local.get $dw) (local.get $ldw) (local.get $taps) (local.get $chans) (local.get $s30) (local.get $s31) (i32.const 3))
    (call $add_sums (local.get $dw) (local.get $ldw) (local.get $taps) (local.get $chans) (local.get $s40) (local.get $s41) (i32.const 4)))

  ;; tap k's two channel sums (the lanes of s0, s1 added in order) into dw + k·ldw, when k < taps
  (func $add_sums (param $dw i32) (param $ldw i32) (param $taps i32) (param $chans i32) (param $s0 v128) (param $s1 v128) (param $k i32)
    (if (i32.ge_u (local.get $k) (local.get $taps)) (then (return)))
    (local.set $dw (i32.add (local.get $dw) (i32.mul (local.get $k) (local.get $ldw))))
    (f32.store (local.get $dw) (f32.add (f32.load (local.get $dw)) (call $lanes_sum (local.get $s0))))
    (if (i32.gt_u (local.get $chans) (i32.const 1))
      (then (f32.store offset=4 (local.get $dw) (f32.add (f32.load offset=4 (local.get $dw)) (call $lanes_sum (local.get $s1)))))))

  (func $lanes_sum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; An image's dy [OH × OW × C] (NHWC) as channel rows: channel c's pixel (oh, ow) at
  ;; dst + (c·plane + oh·ow4 + ow)·4. Four pixels of a row at a time, each channel's four
  ;; floats gathered into one vector and stored; the last pixels of a row (OW mod 4) alone.
  (func $channel_rows (param $src i32) (param $OH i32) (param $OW i32) (param $C i32) (param $dst i32) (param $ow4 i32) (param $plane i32)
    (local $oh i32) (local $ow i32) (local $c i32) (local $px i32) (local $to i32) (local $stride i32) (local $cs i32) (local $v v128)
    (local.set $stride (i32.shl (local.get $C) (i32.const 2)))
    (local.set $cs (i32.shl (local.get $plane) (i32.const 2)))
    (block $oh_done (loop $rows
      (br_if $oh_done (i32.ge_u (local.get $oh) (local.get $OH)))
      (local.set $ow (i32.const 0))
      (block $ow_done (loop $quads
        (br_if $ow_done (i32.gt_u (i32.add (local.get $ow) (i32.const 4)) (local.get $OW)))
        (local.set $px (i32.add (local.get $src) (i32.shl (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $OW)) (local.get $ow)) (local.get $C)) (i32.const 2))))
        (local.set $to (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $oh) (local.get $ow4)) (local.get $ow)) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $c_done (loop $channels
          (br_if $c_done (i32.ge_u (local.get $c) (local.get $C)))
          (local.set $v (v128.load32_splat (local.get $px)))
          (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load (i32.add (local.get $px) (local.get $stride)))))
          (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load (i32.add (local.get $px) (i32.shl (local.get $stride) (i32.const 1))))))
          (local.set $v (f32x4.replace_lane 3 (local.get $v) (f32.load (i32.add (local.get $px) (i32.mul (local.get $stride) (i32.const 3))))))
          (v128.store (local.get $to) (local.get $v))
          (local.set $px (i32.add (local.get $px) (i32.const 4)))
          (local.set $to (i32.add (local.get $to) (local.get $cs)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $channels)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
        (br $quads)))
      (block $tail_done (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $ow) (local.get $OW)))
        (call $scatter
          (i32.add (local.get $src) (i32.shl (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $OW)) (local.get $ow)) (local.get $C)) (i32.const 2)))
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $oh) (local.get $ow4)) (local.get $ow)) (i32.const 2)))
          (local.get $C) (local.get $cs))
        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
        (br $tail)))
      (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
      (br $rows))))

  ;; dW = Σ over images of x's windows · dy for CI = 1 at stride 1, a unit being a group of
  ;; images summed in order into the group's own [K × CO rounded up to 8] floats of word 27's
  ;; buffer, as conv_window_dw. Per image, dy transposed into channel rows of OH·OW4 floats
  ;; (OW4 = OW rounded up to 4, zeros after OW and in a last odd channel's partner), then per
  ;; kernel row, chunk of 5 taps and pair of channels one $mk5x2p over the image. Scratch per
  ;; thread: the image (image_floats + 16), then the transposed dy.
  (func (export "conv_plane_dw") (param $g i32) (param $tid i32) (param $nt i32)
    (local $OH i32) (local $OW i32) (local $CO i32) (local $KH i32) (local $KW i32) (local $ow4 i32) (local $co2 i32) (local $co8 i32)
    (local $lda i32) (local $plane i32) (local $img i32) (local $dyt i32) (local $acc i32)
    (local $unit i32) (local $n i32) (local $end i32) (local $kh i32) (local $kw i32) (local $c i32)
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $KH (i32.load offset=56 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $ow4 (i32.and (i32.add (local.get $OW) (i32.const 3)) (i32.const -4)))
    (local.set $co2 (i32.and (i32.add (local.get $CO) (i32.const 1)) (i32.const -2)))
    (local.set $co8 (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8)))
    (local.set $lda (i32.shl (i32.add (i32.load offset=36 (local.get $g)) (i32.shl (i32.load offset=76 (local.get $g)) (i32.const 1))) (i32.const 2)))
    (local.set $plane (i32.mul (local.get $OH) (local.get $ow4)))
    (local.set $img (call $scratch (local.get $g) (local.get $tid)))
    (local.set $dyt (i32.add (local.get $img) (i32.shl (i32.add (call $image_floats (local.get $g)) (i32.const 16)) (i32.const 2))))
    (block $all (loop $units
      (local.set $unit (call $next (local.get $g)))
      (local.set $n (i32.mul (local.get $unit) (i32.load offset=104 (local.get $g))))
      (br_if $all (i32.ge_u (local.get $n) (i32.load offset=28 (local.get $g))))
      (local.set $end (call $min (i32.add (local.get $n) (i32.load offset=104 (local.get $g))) (i32.load offset=28 (local.get $g))))
      (local.set $acc (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.mul (local.get $unit) (i32.mul (i32.mul (local.get $KH) (local.get $KW)) (local.get $co8))) (i32.const 2))))
      (call $zero (local.get $acc) (i32.mul (i32.mul (local.get $KH) (local.get $KW)) (local.get $co8)))
      ;; the padding of the transposed dy stays zero: each image writes only its values
      (call $zero (local.get $dyt) (i32.mul (local.get $co2) (local.get $plane)))
      (block $images_done (loop $images
        (br_if $images_done (i32.ge_u (local.get $n) (local.get $end)))
        (drop (call $plane_image (local.get $g) (local.get $n) (local.get $img)))
        (call $channel_rows
          (i32.add (i32.load offset=92 (local.get $g)) (i32.shl (i32.mul (i32.mul (local.get $n) (i32.mul (local.get $OH) (local.get $OW))) (local.get $CO)) (i32.const 2)))
          (local.get $OH) (local.get $OW) (local.get $CO) (local.get $dyt) (local.get $ow4) (local.get $plane))
        (local.set $kh (i32.const 0))
        (block $kh_done (loop $khs
          (br_if $kh_done (i32.ge_u (local.get $kh) (local.get $KH)))
          (local.set $kw (i32.const 0))
          (block $kw_done (loop $kws
            (br_if $kw_done (i32.ge_u (local.get $kw) (local.get $KW)))
            (local.set $c (i32.const 0))
            (block $c_done (loop $cs
              (br_if $c_done (i32.ge_u (local.get $c) (local.get $CO)))
              (call $mk5x2p
                (i32.add (local.get $img) (i32.add (i32.mul (local.get $kh) (local.get $lda)) (i32.shl (local.get $kw) (i32.const 2))))
                (local.get $lda) (local.get $OH) (i32.shr_u (local.get $ow4) (i32.const 2))
                (i32.add (local.get $dyt) (i32.shl (i32.mul (local.get $c) (local.get $plane)) (i32.const 2))) (i32.shl (local.get $plane) (i32.const 2))
                (i32.add (local.get $acc) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $KW)) (local.get $kw)) (local.get $co8)) (local.get $c)) (i32.const 2)))
                (i32.shl (local.get $co8) (i32.const 2))
                (call $min (i32.const 5) (i32.sub (local.get $KW) (local.get $kw)))
                (call $min (i32.const 2) (i32.sub (local.get $CO) (local.get $c))))
              (local.set $c (i32.add (local.get $c) (i32.const 2)))
              (br $cs)))
            (local.set $kw (i32.add (local.get $kw) (i32.const 5)))
            (br $kws)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khs)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $images)))
      (br $units))))

  ;; Wᵀ [CO × K] from W [K × CO] into word 27's buffer, for the input gradient when it fits
  ;; there; a unit is 64 rows of W.
  (func (export "transpose_w") (param $g i32) (param $tid i32) (param $nt i32)
    (local $K i32) (local $CO i32) (local $lo i32) (local $hi i32)
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))) (i32.load offset=40 (local.get $g))))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (block $done (loop $units
      (local.set $lo (i32.mul (call $next (local.get $g)) (i32.const 64)))
      (br_if $done (i32.ge_u (local.get $lo) (local.get $K)))
      (local.set $hi (call $min (i32.add (local.get $lo) (i32.const 64)) (local.get $K)))
      (call $transpose (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (i32.mul (local.get $lo) (local.get $CO)) (i32.const 2)))
        (i32.sub (local.get $hi) (local.get $lo)) (local.get $CO) (local.get $K)
        (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (local.get $lo) (i32.const 2))))
      (br $units))))

  ;; dx = col2im(dy·Wᵀ). With Wᵀ whole (word 27 ≠ 0, from transpose_w), a unit is a group of
  ;; images (their windows overlap only within an image; word 26 images per group) whose dx it
  ;; zeroes, or, direct (dA is dx itself), a block of mb rows. Without (a weight too large to
  ;; transpose whole: a big linear layer, always direct), a unit is a block of nb columns of dA:
  ;; those rows of W are transposed into scratch and the unit runs over every row.
  ;; Per block of mb rows: dy packed in tiles, and per block of nb columns dy·Wᵀ (reduction over
  ;; CO in steps of kb) into scratch, added into dx. Scratch per thread: CO·nb floats of Wᵀ
  ;; (without a whole one), mb·CO of packed dy, mb·nb of dA (unless direct), the GEMM's kb·8 + 64.
  (func (export "conv_dx") (param $g i32) (param $tid i32) (param $nt i32)
    (local $N i32) (local $M i32) (local $K i32) (local $CO i32) (local $mb i32) (local $nb i32) (local $ohw i32)
    (local $u i32) (local $lo i32) (local $hi i32) (local $n0 i32) (local $n1 i32) (local $whole i32) (local $img i32) (local $group i32)
    (local $direct i32) (local $own i32) (local $dyt i32) (local $da i32) (local $tmp i32)
    (local.set $N (i32.load offset=28 (local.get $g)))
    (local.set $ohw (i32.mul (i32.load offset=44 (local.get $g)) (i32.load offset=48 (local.get $g))))
    (local.set $M (i32.mul (local.get $N) (local.get $ohw)))
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))) (i32.load offset=40 (local.get $g))))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $mb (i32.load offset=80 (local.get $g)))
    (local.set $nb (i32.load offset=96 (local.get $g)))
    (local.set $group (i32.load offset=104 (local.get $g)))
    (local.set $whole (i32.load offset=108 (local.get $g)))
    (local.set $direct (call $direct (local.get $g)))
    (local.set $own (call $scratch (local.get $g) (local.get $tid)))
    (local.set $dyt (i32.add (local.get $own) (select (i32.const 0) (i32.shl (i32.mul (local.get $CO) (local.get $nb)) (i32.const 2)) (local.get $whole))))
    (local.set $da (i32.add (local.get $dyt) (i32.shl (i32.mul (local.get $mb) (local.get $CO)) (i32.const 2))))
    (local.set $tmp (i32.add (local.get $da) (i32.shl (i32.mul (local.get $mb) (local.get $nb)) (i32.const 2))))
    (local.set $img (i32.mul (i32.mul (i32.load offset=32 (local.get $g)) (i32.load offset=36 (local.get $g))) (i32.load offset=40 (local.get $g))))
    (block $done (loop $units
      (local.set $u (call $next (local.get $g)))
      (if (i32.eqz (local.get $whole))
        (then
          ;; a block of columns over every row
          (local.set $n0 (i32.mul (local.get $u) (local.get $nb)))
          (br_if $done (i32.ge_u (local.get $n0) (local.get $K)))
          (local.set $n1 (call $min (i32.add (local.get $n0) (local.get $nb)) (local.get $K)))
          (call $transpose (i32.add (i32.load offset=4 (local.get $g)) (i32.shl (i32.mul (local.get $n0) (local.get $CO)) (i32.const 2)))
            (i32.sub (local.get $n1) (local.get $n0)) (local.get $CO) (i32.sub (local.get $n1) (local.get $n0)) (local.get $own))
          (call $dx_rows (local.get $g) (i32.const 0) (local.get $M) (local.get $n0) (local.get $n1)
            (local.get $own) (i32.sub (local.get $n1) (local.get $n0)) (local.get $dyt) (local.get $da) (local.get $tmp)))
        (else
          (if (local.get $direct)
            (then
              (local.set $lo (i32.mul (local.get $u) (local.get $mb)))
              (br_if $done (i32.ge_u (local.get $lo) (local.get $M)))
              (local.set $hi (call $min (i32.add (local.get $lo) (local.get $mb)) (local.get $M))))
            (else
              (local.set $lo (i32.mul (local.get $u) (local.get $group)))
              (br_if $done (i32.ge_u (local.get $lo) (local.get $N)))
              (local.set $hi (call $min (i32.add (local.get $lo) (local.get $group)) (local.get $N)))
              (call $zero (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.mul (local.get $lo) (local.get $img)) (i32.const 2)))
                (i32.mul (i32.sub (local.get $hi) (local.get $lo)) (local.get $img)))
              (local.set $lo (i32.mul (local.get $lo) (local.get $ohw)))
              (local.set $hi (i32.mul (local.get $hi) (local.get $ohw)))))
          (call $dx_rows (local.get $g) (local.get $lo) (local.get $hi) (i32.const 0) (local.get $K)
            (local.get $whole) (local.get $K) (local.get $dyt) (local.get $da) (local.get $tmp))))
      (br $units))))

  ;; dx's rows [lo, hi) of dA for its columns [n0, n1), with Wᵀ's column n0 at wt and its rows
  ;; ldw floats apart (see conv_dx)
  (func $dx_rows (param $g i32) (param $lo i32) (param $hi i32) (param $n0 i32) (param $n1 i32)
    (param $wt i32) (param $ldw i32) (param $dyt i32) (param $da i32) (param $tmp i32)
    (local $K i32) (local $CO i32) (local $mb i32) (local $kb i32) (local $nb i32) (local $direct i32)
    (local $m0 i32) (local $rows i32) (local $c0 i32) (local $cols i32) (local $k0 i32) (local $ks i32) (local $c i32) (local $ldc i32)
    (local.set $K (i32.mul (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))) (i32.load offset=40 (local.get $g))))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $mb (i32.load offset=80 (local.get $g)))
    (local.set $kb (i32.load offset=84 (local.get $g)))
    (local.set $nb (i32.load offset=96 (local.get $g)))
    (local.set $direct (call $direct (local.get $g)))
    (local.set $m0 (local.get $lo))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $m0) (local.get $hi)))
      (local.set $rows (call $min (local.get $mb) (i32.sub (local.get $hi) (local.get $m0))))
      (call $pack_tiles (i32.load offset=92 (local.get $g)) (local.get $CO) (local.get $m0) (local.get $rows) (i32.const 0) (local.get $CO) (local.get $dyt))
      (local.set $c0 (local.get $n0))
      (block $cdone (loop $col_blocks
        (br_if $cdone (i32.ge_u (local.get $c0) (local.get $n1)))
        (local.set $cols (call $min (local.get $nb) (i32.sub (local.get $n1) (local.get $c0))))
        (if (local.get $direct)
          (then
            (local.set $c (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.add (i32.mul (local.get $m0) (local.get $K)) (local.get $c0)) (i32.const 2))))
            (local.set $ldc (i32.shl (local.get $K) (i32.const 2))))
          (else
            (local.set $c (local.get $da))
            (local.set $ldc (i32.shl (local.get $cols) (i32.const 2)))))
        (local.set $k0 (i32.const 0))
        (block $kdone (loop $ksteps
          (br_if $kdone (i32.ge_u (local.get $k0) (local.get $CO)))
          (local.set $ks (call $min (local.get $kb) (i32.sub (local.get $CO) (local.get $k0))))
          (call $gemm
            (i32.add (local.get $dyt) (i32.mul (local.get $k0) (i32.const 24))) (i32.const 24) (i32.mul (local.get $CO) (i32.const 24)) (local.get $rows)
            (i32.add (local.get $wt) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $ldw)) (i32.sub (local.get $c0) (local.get $n0))) (i32.const 2)))
            (i32.shl (local.get $ldw) (i32.const 2)) (i32.const 32)
            (local.get $cols) (local.get $ks)
            (local.get $c) (local.get $ldc)
            (select (i32.const 1) (i32.const 0) (local.get $k0)) (i32.const 0) (local.get $tmp))
          (local.set $k0 (i32.add (local.get $k0) (local.get $ks)))
          (br $ksteps)))
        (if (i32.eqz (local.get $direct))
          (then (call $im2col (local.get $g) (i32.load offset=12 (local.get $g)) (local.get $m0) (local.get $rows) (local.get $c0) (local.get $cols) (local.get $da) (i32.const 2))))
        (local.set $c0 (i32.add (local.get $c0) (local.get $cols)))
        (br $col_blocks)))
      (local.set $m0 (i32.add (local.get $m0) (local.get $rows)))
      (br $blocks))))

  ;; dst [C × R] = srcᵀ for src [R × C] (row-major), dst's rows ld floats apart, in strips of 8
  ;; rows of src so that each cache line read serves 8 writes
  (func $transpose (param $src i32) (param $R i32) (param $C i32) (param $ld i32) (param $dst i32)
    (local $r i32) (local $r1 i32) (local $rr i32) (local $c i32)
    (block $done (loop $strips
      (br_if $done (i32.ge_u (local.get $r) (local.get $R)))
      (local.set $r1 (call $min (i32.add (local.get $r) (i32.const 8)) (local.get $R)))
      (local.set $c (i32.const 0))
      (block $d (loop $cols
        (br_if $d (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $rr (local.get $r))
        (block $d2 (loop $rows
          (br_if $d2 (i32.ge_u (local.get $rr) (local.get $r1)))
          (f32.store
            (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $ld)) (local.get $rr)) (i32.const 2)))
            (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $rr) (local.get $C)) (local.get $c)) (i32.const 2)))))
          (local.set $rr (i32.add (local.get $rr) (i32.const 1)))
          (br $rows)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cols)))
      (local.set $r (local.get $r1))
      (br $strips))))

  ;; ---------------------------------------------------------------- Winograd F(2×2, R×R)
  ;; An R×R convolution at stride 1 in tiles of 2×2 output pixels (Lavin and Gray, 2016): for
  ;; the α×α input patch d of a tile (α = R + 1) and the R×R filter g of a pair of channels,
  ;;   y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,
  ;; α² multiplies per tile where the direct product has 4·R² (3×3: 16 for 36; 5×5: 36 for
  ;; 100). (Tiles of 3×3 pixels, 25 for 81, measured slower here: their transforms multiplied
  ;; out cost more than the products saved.) For R = 3 the transforms are written out as
  ;; additions,
  ;;   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
  ;;   Aᵀ = [1 1 1 0; 0 1 −1 −1]
  ;; (the halves are exact); for other R, conv.ts gives Toom-Cook's matrices (word 28's table:
  ;; Bᵀ [α×α], G [α×R], Aᵀ [2×α], floats) and the transforms multiply by them. Summed over
  ;; input channels, the α² elementwise products are α² matrix products, one per position ξ of
  ;; the tile: M_ξ[tiles × CO] = V_ξ[tiles × CI] · U_ξ[CI × CO], with V = Bᵀ d B and U = G g Gᵀ.
  ;; wino_filter writes U once per call; conv_wino_fwd takes up to 48 tiles a unit: their V into
  ;; scratch, laid out [ci][ξ][48] so that the GEMM reads V_ξ as its tiles of 6 rows (step ci
  ;; α²·192 bytes on), the α² products into M laid out [tile][ξ][CO], and M back to pixels, with
  ;; the bias and the relu. CI and CO are multiples of 4 (conv.ts's rule).

  ;; α = R + 1: the side of a tile's input patch
  (func $wino_alpha (param $g i32) (result i32)
    (i32.add (i32.load offset=56 (local.get $g)) (i32.const 1)))

  ;; bytes from U_ξ to U_ξ+1: CI·CO8 floats and 256 bytes, so that a filter's α² values do not
  ;; all fall in the same sets of L1
  (func $wino_u_stride (param $g i32) (result i32)
    (i32.add (i32.shl (i32.mul (i32.load offset=40 (local.get $g)) (i32.and (i32.add (i32.load offset=52 (local.get $g)) (i32.const 7)) (i32.const -8))) (i32.const 2)) (i32.const 256)))

  ;; U = G g Gᵀ into word 27's buffer, U_ξ in panels of 8 columns as pack_w's ($wino_u_stride
  ;; after U_ξ−1, zeros in a last half panel); a unit is 8 input channels, 4 output channels at
  ;; a time. Scratch per thread (but F(2×2, 3×3)): g's taps and a row of G g, R² + R vectors.
  (func (export "wino_filter") (param $g i32) (param $tid i32) (param $nt i32)
    (local $CI i32) (local $CO i32) (local $CO8 i32) (local $ci i32) (local $co i32)
    (local $at i32) (local $xi i32) (local $k i32) (local $last i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $g4 v128) (local $g5 v128) (local $g6 v128) (local $g7 v128) (local $g8 v128)
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $CO8 (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8)))
    (local.set $xi (call $wino_u_stride (local.get $g)))
    (block $all (loop $units
      ;; 8 input channels a unit: 8 rows of a panel, 256 bytes, so that no cache line of U is
      ;; written by two threads (with one input channel a unit, two threads' rows shared lines
      ;; and their writes took turns: slower on two threads than on one)
      (local.set $ci (i32.shl (call $next (local.get $g)) (i32.const 3)))
      (br_if $all (i32.ge_u (local.get $ci) (local.get $CI)))
      (local.set $last (call $min (i32.add (local.get $ci) (i32.const 8)) (local.get $CI)))
      (local.set $co (i32.const 0))
      (block $done (loop $cos
        (if (i32.ge_u (local.get $co) (local.get $CO8))
          (then
            (local.set $co (i32.const 0))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))))
        (br_if $done (i32.ge_u (local.get $ci) (local.get $last)))
        (local.set $at (i32.add (i32.load offset=108 (local.get $g))
          (i32.add (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $co) (i32.const 3)) (local.get $CI)) (local.get $ci)) (i32.const 5))
            (i32.shl (i32.and (local.get $co) (i32.const 7)) (i32.const 2)))))
        (if (i32.ge_u (local.get $co) (local.get $CO))
          (then
            ;; past CO: zeros, α² of them
            (local.set $k (i32.mul (call $wino_alpha (local.get $g)) (call $wino_alpha (local.get $g))))
            (block $zeros_done (loop $zeros
              (br_if $zeros_done (i32.eqz (local.get $k)))
              (local.set $k (i32.sub (local.get $k) (i32.const 1)))
              (v128.store (i32.add (local.get $at) (i32.mul (local.get $k) (local.get $xi))) (v128.const i32x4 0 0 0 0))
              (br $zeros))))
          (else (if (i32.ne (call $wino_alpha (local.get $g)) (i32.const 4))
          (then
            (call $wino_filter_any (local.get $g) (local.get $ci) (local.get $co) (local.get $at) (local.get $xi) (call $scratch (local.get $g) (local.get $tid))))
          (else
            ;; g[kh][kw] for these 4 output channels, 9 taps
            (local.set $g0 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 0)))
            (local.set $g1 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 1)))
            (local.set $g2 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 2)))
            (local.set $g3 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 3)))
            (local.set $g4 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 4)))
            (local.set $g5 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 5)))
            (local.set $g6 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 6)))
            (local.set $g7 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 7)))
            (local.set $g8 (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (i32.const 8)))
            ;; rows of G g: g's rows 0, ½(0 + 1 + 2), ½(0 − 1 + 2), 2; each times Gᵀ by $wino_filter_row
            (call $wino_filter_row (local.get $g0) (local.get $g1) (local.get $g2) (local.get $at) (local.get $xi))
            (call $wino_filter_row
              (f32x4.mul (f32x4.add (f32x4.add (local.get $g0) (local.get $g3)) (local.get $g6)) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.mul (f32x4.add (f32x4.add (local.get $g1) (local.get $g4)) (local.get $g7)) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.mul (f32x4.add (f32x4.add (local.get $g2) (local.get $g5)) (local.get $g8)) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (i32.add (local.get $at) (i32.shl (local.get $xi) (i32.const 2))) (local.get $xi))
            (call $wino_filter_row
              (f32x4.mul (f32x4.add (f32x4.sub (local.get $g0) (local.get $g3)) (local.get $g6)) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.mul (f32x4.add (f32x4.sub (local.get $g1) (local.get $g4)) (local.get $g7)) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.mul (f32x4.add (f32x4.sub (local.get $g2) (local.get $g5)) (local.get $g8)) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (i32.add (local.get $at) (i32.shl (local.get $xi) (i32.const 3))) (local.get $xi))
            (call $wino_filter_row (local.get $g6) (local.get $g7) (local.get $g8)
              (i32.add (local.get $at) (i32.mul (local.get $xi) (i32.const 12))) (local.get $xi))))))
        (local.set $co (i32.add (local.get $co) (i32.const 4)))
        (br $cos)))
      (br $units))))

  ;; The filter's 4 values at tap t (kh·R + kw) for input channel ci and output channels
  ;; co…co+3: w[t][ci][co…], or (flags 8: the input gradient's filter, given as the forward
  ;; pass's W [R,R,CO,CI]) W[R²−1−t][co…][ci], flipped and transposed as it is read.
  (func $wino_filter_tap (param $g i32) (param $ci i32) (param $co i32) (param $t i32) (result v128)
    (local $CI i32) (local $CO i32) (local $p i32) (local $ld i32)
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (if (i32.eqz (i32.and (i32.load offset=24 (local.get $g)) (i32.const 8)))
      (then (return (v128.load (i32.add (i32.load offset=4 (local.get $g))
        (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $t) (local.get $CI)) (local.get $ci)) (local.get $CO)) (local.get $co)) (i32.const 2)))))))
    (local.set $t (i32.sub (i32.sub (i32.mul (i32.load offset=56 (local.get $g)) (i32.load offset=60 (local.get $g))) (i32.const 1)) (local.get $t)))
    (local.set $p (i32.add (i32.load offset=4 (local.get $g))
      (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $t) (local.get $CO)) (local.get $co)) (local.get $CI)) (local.get $ci)) (i32.const 2))))
    (local.set $ld (i32.shl (local.get $CI) (i32.const 2)))
    (f32x4.replace_lane 3
      (f32x4.replace_lane 2
        (f32x4.replace_lane 1
          (f32x4.splat (f32.load (local.get $p)))
          (f32.load (i32.add (local.get $p) (local.get $ld))))
        (f32.load (i32.add (local.get $p) (i32.shl (local.get $ld) (i32.const 1)))))
      (f32.load (i32.add (local.get $p) (i32.mul (local.get $ld) (i32.const 3))))))

  ;; a row (t0 t1 t2) of G g times Gᵀ: t0, ½(t0 + t1 + t2), ½(t0 − t1 + t2), t2, at p, p + xi, …
  (func $wino_filter_row (param $t0 v128) (param $t1 v128) (param $t2 v128) (param $p i32) (param $xi i32)
    (v128.store (local.get $p) (local.get $t0))
    (local.set $p (i32.add (local.get $p) (local.get $xi)))
    (v128.store (local.get $p) (f32x4.mul (f32x4.add (f32x4.add (local.get $t0) (local.get $t1)) (local.get $t2)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $p (i32.add (local.get $p) (local.get $xi)))
    (v128.store (local.get $p) (f32x4.mul (f32x4.add (f32x4.sub (local.get $t0) (local.get $t1)) (local.get $t2)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $p (i32.add (local.get $p) (local.get $xi)))
    (v128.store (local.get $p) (local.get $t2)))

  ;; tile t's image, and its row and column among the image's TT tiles, TW a row
  (func $wino_tile (param $t i32) (param $TT i32) (param $TW i32) (result i32 i32 i32)
    (local $n i32) (local $r i32)
    (local.set $n (i32.div_u (local.get $t) (local.get $TT)))
    (local.set $r (i32.sub (local.get $t) (i32.mul (local.get $n) (local.get $TT))))
    (local.get $n) (i32.div_u (local.get $r) (local.get $TW)) (i32.rem_u (local.get $r) (local.get $TW)))

  ;; the α×α patch of image n's x from pixel (ih, iw): its address in x where the patch lies
  ;; inside the image, else a copy at `patch` (rows α·CI floats apart), zeros where it is not
  (func $wino_patch (param $g i32) (param $n i32) (param $ih i32) (param $iw i32) (param $alpha i32) (param $patch i32) (result i32)
    (local $H i32) (local $W i32) (local $CI i32) (local $a i32) (local $b i32) (local $p i32)
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (if (i32.and
          (i32.and (i32.ge_s (local.get $ih) (i32.const 0)) (i32.le_s (i32.add (local.get $ih) (local.get $alpha)) (local.get $H)))
          (i32.and (i32.ge_s (local.get $iw) (i32.const 0)) (i32.le_s (i32.add (local.get $iw) (local.get $alpha)) (local.get $W))))
      (then
        (return (i32.add (i32.load offset=0 (local.get $g))
          (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw)) (local.get $CI)) (i32.const 2))))))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $alpha)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $b) (local.get $alpha)))
        (local.set $p (i32.add (local.get $patch) (i32.shl (i32.mul (i32.add (i32.mul (local.get $a) (local.get $alpha)) (local.get $b)) (local.get $CI)) (i32.const 2))))
        (if (i32.and
              (i32.lt_u (i32.add (local.get $ih) (local.get $a)) (local.get $H))
              (i32.lt_u (i32.add (local.get $iw) (local.get $b)) (local.get $W)))
          (then
            (call $copy
              (i32.add (i32.load offset=0 (local.get $g))
                (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (i32.add (local.get $ih) (local.get $a))) (local.get $W)) (i32.add (local.get $iw) (local.get $b))) (local.get $CI)) (i32.const 2)))
              (local.get $p) (local.get $CI)))
          (else (call $zero (local.get $p) (local.get $CI))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $rows)))
    (local.get $patch))

  ;; tile t's α×α patch of x (see $wino_patch; an edge tile's copy at `patch`) and the bytes
  ;; between its rows
  (func $wino_base (param $g i32) (param $t i32) (param $TT i32) (param $TW i32) (param $alpha i32) (param $patch i32) (result i32 i32)
    (local $n i32) (local $th i32) (local $tw i32) (local $base i32)
    (call $wino_tile (local.get $t) (local.get $TT) (local.get $TW))
    (local.set $tw) (local.set $th) (local.set $n)
    (local.set $base (call $wino_patch (local.get $g) (local.get $n)
      (i32.sub (i32.shl (local.get $th) (i32.const 1)) (i32.load offset=72 (local.get $g)))
      (i32.sub (i32.shl (local.get $tw) (i32.const 1)) (i32.load offset=76 (local.get $g))) (local.get $alpha) (local.get $patch)))
    (local.get $base)
    (i32.shl (i32.mul (select (local.get $alpha) (i32.load offset=36 (local.get $g)) (i32.eq (local.get $base) (local.get $patch))) (i32.load offset=40 (local.get $g))) (i32.const 2)))

  ;; y = act(conv(x, g) + bias) (see above); a unit is mb ≤ 48 tiles (2×2 output pixels each)
  ;; of the N·⌈OH/2⌉·⌈OW/2⌉, row by row, and nb of the output channels (word 24; 0: all), so
  ;; that a layer of few tiles still makes a unit for every thread and reads U once in all.
  ;; Scratch per thread: a tile's α×α patch of x (α²·CI floats, zero-padded, for tiles at the
  ;; image's edges), V (48·α²·CI floats), M (48·α²·CO), the GEMM's CI·8 + 64, then a row of
  ;; Bᵀ d (α vectors).
  (func (export "conv_wino_fwd") (param $g i32) (param $tid i32) (param $nt i32)
    (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $CO i32) (local $ph i32) (local $pw i32)
    (local $TW i32) (local $TT i32) (local $T i32) (local $patch i32) (local $v i32) (local $m i32) (local $tmp i32)
    (local $t0 i32) (local $count i32) (local $j i32) (local $t i32) (local $n i32) (local $th i32) (local $tw i32)
    (local $base i32) (local $rs i32) (local $cs i32)
    (local $c i32) (local $p i32) (local $dst i32) (local $xi i32) (local $q i32) (local $out i32) (local $flags i32)
    (local $right i32) (local $below i32) (local $at i32) (local $per i32)
    (local $alpha i32) (local $xis i32) (local $civ i32) (local $table i32) (local $row i32)
    (local $unit i32) (local $columns i32) (local $blocks i32) (local $c0 i32) (local $c1 i32)
    (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128)
    (local $patch1 i32) (local $quad i32) (local $base0 i32) (local $base1 i32) (local $base2 i32) (local $base3 i32)
    (local $rs0 i32) (local $rs1 i32) (local $rs2 i32) (local $rs3 i32)
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $ph (i32.load offset=72 (local.get $g)))
    (local.set $pw (i32.load offset=76 (local.get $g)))
    (local.set $flags (i32.load offset=24 (local.get $g)))
    (local.set $per (i32.load offset=80 (local.get $g)))
    (local.set $TW (i32.shr_u (i32.add (local.get $OW) (i32.const 1)) (i32.const 1)))
    (local.set $TT (i32.mul (i32.shr_u (i32.add (local.get $OH) (i32.const 1)) (i32.const 1)) (local.get $TW)))
    (local.set $T (i32.mul (i32.load offset=28 (local.get $g)) (local.get $TT)))
    (local.set $cs (i32.shl (local.get $CI) (i32.const 2)))
    (local.set $q (i32.shl (local.get $CO) (i32.const 2)))
    (local.set $alpha (call $wino_alpha (local.get $g)))
    (local.set $xis (i32.mul (local.get $alpha) (local.get $alpha)))
    (local.set $civ (i32.mul (local.get $xis) (i32.const 192)))
    (local.set $table (i32.load offset=112 (local.get $g)))
    (local.set $patch (call $scratch (local.get $g) (local.get $tid)))
    (local.set $v (i32.add (local.get $patch) (i32.mul (local.get $xis) (local.get $cs))))
    (local.set $m (i32.add (local.get $v) (i32.mul (local.get $CI) (local.get $civ))))
    (local.set $tmp (i32.add (local.get $m) (i32.mul (local.get $CO) (local.get $civ))))
    (local.set $row (i32.add (local.get $tmp) (i32.add (i32.shl (local.get $CI) (i32.const 5)) (i32.const 256))))
    ;; R = 3: three more tiles' patches (16·CI floats each), then the 4 tiles' 16 vectors
    (local.set $patch1 (i32.add (local.get $row) (i32.shl (local.get $alpha) (i32.const 4))))
    (local.set $quad (i32.add (local.get $patch1) (i32.mul (local.get $cs) (i32.const 48))))
    ;; nb output channels a unit (a multiple of 8; 0: all of them)
    (local.set $columns (select (i32.load offset=96 (local.get $g)) (local.get $CO) (i32.load offset=96 (local.get $g))))
    (local.set $blocks (i32.div_u (i32.add (local.get $CO) (i32.sub (local.get $columns) (i32.const 1))) (local.get $columns)))
    (block $all (loop $units
      ;; unit: a block of tiles and, for few tiles, a block of output channels
      (local.set $unit (call $next (local.get $g)))
      (local.set $c0 (i32.mul (i32.rem_u (local.get $unit) (local.get $blocks)) (local.get $columns)))
      (local.set $t0 (i32.mul (i32.div_u (local.get $unit) (local.get $blocks)) (local.get $per)))
      (br_if $all (i32.ge_u (local.get $t0) (local.get $T)))
      (local.set $c1 (call $min (i32.add (local.get $c0) (local.get $columns)) (local.get $CO)))
      (local.set $count (call $min (local.get $per) (i32.sub (local.get $T) (local.get $t0))))
      (local.set $j (i32.const 0))
      ;; R = 3: V = Bᵀ d B four tiles at a time, each tile's 16 vectors (4 channels) into quad,
      ;; transposed so that one store writes a channel's values of the 4 tiles (a tile at a
      ;; time, V's layout takes its 4 channels' values one by one)
      (if (i32.eq (local.get $alpha) (i32.const 4))
        (then
          (block $quads_done (loop $quads
            (br_if $quads_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $count)))
            (call $wino_base (local.get $g) (i32.add (local.get $t0) (local.get $j)) (local.get $TT) (local.get $TW) (i32.const 4) (local.get $patch))
            (local.set $rs0) (local.set $base0)
            (call $wino_base (local.get $g) (i32.add (local.get $t0) (i32.add (local.get $j) (i32.const 1))) (local.get $TT) (local.get $TW) (i32.const 4) (local.get $patch1))
            (local.set $rs1) (local.set $base1)
            (call $wino_base (local.get $g) (i32.add (local.get $t0) (i32.add (local.get $j) (i32.const 2))) (local.get $TT) (local.get $TW) (i32.const 4) (i32.add (local.get $patch1) (i32.shl (local.get $cs) (i32.const 4))))
            (local.set $rs2) (local.set $base2)
            (call $wino_base (local.get $g) (i32.add (local.get $t0) (i32.add (local.get $j) (i32.const 3))) (local.get $TT) (local.get $TW) (i32.const 4) (i32.add (local.get $patch1) (i32.shl (local.get $cs) (i32.const 5))))
            (local.set $rs3) (local.set $base3)
            (local.set $c (i32.const 0))
            (block $qc_done (loop $qchans
              (br_if $qc_done (i32.ge_u (local.get $c) (local.get $CI)))
              (local.set $p (i32.shl (local.get $c) (i32.const 2)))
              (call $wino_v_tile (i32.add (local.get $base0) (local.get $p)) (local.get $rs0) (local.get $cs) (local.get $quad) (i32.const 16) (i32.const 0))
              (call $wino_v_tile (i32.add (local.get $base1) (local.get $p)) (local.get $rs1) (local.get $cs) (i32.add (local.get $quad) (i32.const 256)) (i32.const 16) (i32.const 0))
              (call $wino_v_tile (i32.add (local.get $base2) (local.get $p)) (local.get $rs2) (local.get $cs) (i32.add (local.get $quad) (i32.const 512)) (i32.const 16) (i32.const 0))
              (call $wino_v_tile (i32.add (local.get $base3) (local.get $p)) (local.get $rs3) (local.get $cs) (i32.add (local.get $quad) (i32.const 768)) (i32.const 16) (i32.const 0))
              ;; V's rows of channels c…c+3 at position ξ, tiles j…j+3
              (local.set $dst (i32.add (local.get $v) (i32.add (i32.mul (local.get $c) (local.get $civ)) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $xi (i32.const 0))
              (block $qx_done (loop $qxis
                (br_if $qx_done (i32.ge_u (local.get $xi) (i32.const 16)))
                (local.set $p (i32.add (local.get $quad) (i32.shl (local.get $xi) (i32.const 4))))
                (call $transpose4 (v128.load offset=0 (local.get $p)) (v128.load offset=256 (local.get $p)) (v128.load offset=512 (local.get $p)) (v128.load offset=768 (local.get $p)))
                (local.set $y11) (local.set $y10) (local.set $y01) (local.set $y00)
                (v128.store (local.get $dst) (local.get $y00))
                (v128.store (i32.add (local.get $dst) (local.get $civ)) (local.get $y01))
                (v128.store (i32.add (local.get $dst) (i32.shl (local.get $civ) (i32.const 1))) (local.get $y10))
                (v128.store (i32.add (local.get $dst) (i32.mul (local.get $civ) (i32.const 3))) (local.get $y11))
                (local.set $dst (i32.add (local.get $dst) (i32.const 192)))
                (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
                (br $qxis)))
              (local.set $c (i32.add (local.get $c) (i32.const 4)))
              (br $qchans)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $quads)))))
      ;; V = Bᵀ d B, tile by tile: the rest
      (block $vs_done (loop $vs
        (br_if $vs_done (i32.ge_u (local.get $j) (local.get $count)))
        (call $wino_base (local.get $g) (i32.add (local.get $t0) (local.get $j)) (local.get $TT) (local.get $TW) (local.get $alpha) (local.get $patch))
        (local.set $rs) (local.set $base)
        (local.set $dst (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $p (local.get $base))
        (local.set $c (i32.const 0))
        (if (i32.ne (local.get $alpha) (i32.const 4))
          (then
            (block $any_done (loop $any
              (br_if $any_done (i32.ge_u (local.get $c) (local.get $CI)))
              (call $wino_input_any (local.get $p) (local.get $rs) (local.get $cs) (local.get $alpha) (local.get $table) (local.get $row) (local.get $dst) (local.get $civ))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $civ) (i32.const 2))))
              (local.set $c (i32.add (local.get $c) (i32.const 4)))
              (br $any)))))
        ;; R = 3: Bᵀ d B written out
        (block $cs_done (loop $chans
          (br_if $cs_done (i32.ge_u (local.get $c) (local.get $CI)))
          (call $wino_v_tile (local.get $p) (local.get $rs) (local.get $cs) (local.get $dst) (i32.const 192) (local.get $civ))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $civ) (i32.const 2))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $chans)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $vs)))
      ;; M_ξ = V_ξ · U_ξ
      (local.set $xi (i32.const 0))
      (block $products_done (loop $products
        (br_if $products_done (i32.ge_u (local.get $xi) (local.get $xis)))
        (call $gemm
          (i32.add (local.get $v) (i32.mul (local.get $xi) (i32.const 192))) (local.get $civ) (i32.const 24) (local.get $count)
          (i32.add (i32.load offset=108 (local.get $g))
            (i32.add (i32.mul (local.get $xi) (call $wino_u_stride (local.get $g)))
              (i32.mul (i32.shr_u (local.get $c0) (i32.const 3)) (i32.shl (local.get $CI) (i32.const 5)))))
          (i32.const 32) (i32.shl (local.get $CI) (i32.const 5)) (i32.sub (local.get $c1) (local.get $c0)) (local.get $CI)
          (i32.add (local.get $m) (i32.add (i32.mul (local.get $xi) (local.get $q)) (i32.shl (local.get $c0) (i32.const 2)))) (i32.mul (local.get $q) (local.get $xis))
          (i32.const 0) (i32.const 0) (local.get $tmp))
        (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
        (br $products)))
      ;; y = Aᵀ M A (+ bias, relu), tile by tile
      (local.set $j (i32.const 0))
      (block $ys_done (loop $ys
        (br_if $ys_done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $t (i32.add (local.get $t0) (local.get $j)))
        (call $wino_tile (local.get $t) (local.get $TT) (local.get $TW))
        (local.set $tw) (local.set $th) (local.set $n)
        ;; the tile's first pixel
        (local.set $th (i32.shl (local.get $th) (i32.const 1)))
        (local.set $tw (i32.shl (local.get $tw) (i32.const 1)))
        (local.set $out (i32.add (i32.load offset=12 (local.get $g))
          (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $OH)) (local.get $th)) (local.get $OW)) (local.get $tw)) (local.get $q))))
        (local.set $right (i32.lt_u (i32.add (local.get $tw) (i32.const 1)) (local.get $OW)))
        (local.set $below (i32.lt_u (i32.add (local.get $th) (i32.const 1)) (local.get $OH)))
        (local.set $p (i32.add (local.get $m) (i32.add (i32.mul (i32.mul (local.get $j) (local.get $q)) (local.get $xis)) (i32.shl (local.get $c0) (i32.const 2)))))
        (local.set $c (local.get $c0))
        (block $cos_done (loop $cos
          (br_if $cos_done (i32.ge_u (local.get $c) (local.get $c1)))
          (if (i32.ne (local.get $alpha) (i32.const 4))
            (then
              (call $wino_output_tile (local.get $g) (local.get $p) (local.get $q) (local.get $alpha)
                (i32.add (local.get $table) (i32.shl (i32.mul (local.get $alpha) (i32.add (local.get $alpha) (i32.load offset=56 (local.get $g)))) (i32.const 2)))
                (local.get $row) (local.get $c) (local.get $flags) (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
                (call $min (i32.const 2) (i32.sub (local.get $OH) (local.get $th))) (call $min (i32.const 2) (i32.sub (local.get $OW) (local.get $tw))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $c (i32.add (local.get $c) (i32.const 4)))
              (br $cos)))
          (call $wino_output_4 (local.get $p) (local.get $q))
          (local.set $y11) (local.set $y10) (local.set $y01) (local.set $y00)
          ;; the bias and the relu; the right column and the bottom row where the output has them
          (local.set $at (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
          (v128.store (local.get $at) (call $wino_output (local.get $y00) (local.get $g) (local.get $c) (local.get $flags)))
          (if (local.get $right)
            (then (v128.store (i32.add (local.get $at) (local.get $q)) (call $wino_output (local.get $y01) (local.get $g) (local.get $c) (local.get $flags)))))
          (if (local.get $below)
            (then
              (local.set $at (i32.add (local.get $at) (i32.mul (local.get $OW) (local.get $q))))
              (v128.store (local.get $at) (call $wino_output (local.get $y10) (local.get $g) (local.get $c) (local.get $flags)))
              (if (local.get $right)
                (then (v128.store (i32.add (local.get $at) (local.get $q)) (call $wino_output (local.get $y11) (local.get $g) (local.get $c) (local.get $flags)))))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $cos)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $ys)))
      (br $units))))

  ;; U = G g Gᵀ by the table's G [α×R] for input channel ci and output channels co…co+3, U_ξ at
  ;; at + ξ·xi; g's R² taps at `taps`, then a row of G g
  (func $wino_filter_any (param $g i32) (param $ci i32) (param $co i32) (param $at i32) (param $xi i32) (param $taps i32)
    (local $R i32) (local $alpha i32) (local $G i32) (local $r i32) (local $c i32) (local $k i32) (local $acc v128) (local $row i32)
    (local.set $R (i32.load offset=56 (local.get $g)))
    (local.set $alpha (call $wino_alpha (local.get $g)))
    (local.set $G (i32.add (i32.load offset=112 (local.get $g)) (i32.shl (i32.mul (local.get $alpha) (local.get $alpha)) (i32.const 2))))
    ;; the taps once (a flipped filter's are gathered)
    (local.set $row (i32.add (local.get $taps) (i32.shl (i32.mul (local.get $R) (local.get $R)) (i32.const 4))))
    (block $taps_done (loop $each_tap
      (br_if $taps_done (i32.ge_u (local.get $k) (i32.mul (local.get $R) (local.get $R))))
      (v128.store (i32.add (local.get $taps) (i32.shl (local.get $k) (i32.const 4))) (call $wino_filter_tap (local.get $g) (local.get $ci) (local.get $co) (local.get $k)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $each_tap)))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $alpha)))
      ;; (G g)[r][kw] = Σ_kh G[r][kh] · g[kh][kw]
      (local.set $c (i32.const 0))
      (block $kws_done (loop $kws
        (br_if $kws_done (i32.ge_u (local.get $c) (local.get $R)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $khs_done (loop $khs
          (br_if $khs_done (i32.ge_u (local.get $k) (local.get $R)))
          (local.set $acc (f32x4.relaxed_madd
            (v128.load32_splat (i32.add (local.get $G) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $R)) (local.get $k)) (i32.const 2))))
            (v128.load (i32.add (local.get $taps) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $R)) (local.get $c)) (i32.const 4))))
            (local.get $acc)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $khs)))
        (v128.store (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 4))) (local.get $acc))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $kws)))
      ;; U[r][c] = Σ_kw (G g)[r][kw] · G[c][kw]
      (local.set $c (i32.const 0))
      (block $cs_done (loop $cs
        (br_if $cs_done (i32.ge_u (local.get $c) (local.get $alpha)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $ks_done (loop $ks
          (br_if $ks_done (i32.ge_u (local.get $k) (local.get $R)))
          (local.set $acc (f32x4.relaxed_madd
            (v128.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 4))))
            (v128.load32_splat (i32.add (local.get $G) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $k)) (i32.const 2))))
            (local.get $acc)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ks)))
        (v128.store (i32.add (local.get $at) (i32.mul (i32.add (i32.mul (local.get $r) (local.get $alpha)) (local.get $c)) (local.get $xi))) (local.get $acc))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cs)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; V = Bᵀ d B by the table's Bᵀ for 4 channels: the patch's row a, column b at p + a·rs + b·cs;
  ;; V_ξ's channel l at dst + ξ·192 + l·civ; a row of Bᵀ d at `row`
  (func $wino_input_any (param $p i32) (param $rs i32) (param $cs i32) (param $alpha i32) (param $bt i32) (param $row i32) (param $dst i32) (param $civ i32)
    (local $r i32) (local $b i32) (local $a i32) (local $acc v128) (local $at i32)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $alpha)))
      ;; (Bᵀ d)[r][b] = Σ_a Bᵀ[r][a] · d[a][b]
      (local.set $b (i32.const 0))
      (block $bs_done (loop $bs
        (br_if $bs_done (i32.ge_u (local.get $b) (local.get $alpha)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $a (i32.const 0))
        (block $as_done (loop $as
          (br_if $as_done (i32.ge_u (local.get $a) (local.get $alpha)))
          (local.set $acc (f32x4.relaxed_madd
            (v128.load32_splat (i32.add (local.get $bt) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $alpha)) (local.get $a)) (i32.const 2))))
            (v128.load (i32.add (local.get $p) (i32.add (i32.mul (local.get $a) (local.get $rs)) (i32.mul (local.get $b) (local.get $cs)))))
            (local.get $acc)))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br $as)))
        (v128.store (i32.add (local.get $row) (i32.shl (local.get $b) (i32.const 4))) (local.get $acc))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bs)))
      ;; V[r][c] = Σ_b (Bᵀ d)[r][b] · Bᵀ[c][b], its 4 channels to V_ξ, ξ = r·α + c
      (local.set $b (i32.const 0))
      (block $cs_done (loop $cs
        (br_if $cs_done (i32.ge_u (local.get $b) (local.get $alpha)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $a (i32.const 0))
        (block $ks_done (loop $ks
          (br_if $ks_done (i32.ge_u (local.get $a) (local.get $alpha)))
          (local.set $acc (f32x4.relaxed_madd
            (v128.load (i32.add (local.get $row) (i32.shl (local.get $a) (i32.const 4))))
            (v128.load32_splat (i32.add (local.get $bt) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $alpha)) (local.get $a)) (i32.const 2))))
            (local.get $acc)))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br $ks)))
        (local.set $at (i32.add (local.get $dst) (i32.mul (i32.add (i32.mul (local.get $r) (local.get $alpha)) (local.get $b)) (i32.const 192))))
        (call $wino_store (local.get $acc) (local.get $at) (local.get $civ))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $cs)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; y = Aᵀ M A (+ bias, relu) by the table's Aᵀ [2×α] for 4 channels c…c+3, M's position ξ at
  ;; p + ξ·q, the tile's first pixel at out (rows OW·q apart), its first rows × cols pixels kept
  ;; (a tile past the output's edge): a row s = Aᵀ[i] M at `row`, then y[i][k] = Σ_c s[c]·Aᵀ[k][c]
  (func $wino_output_tile (param $g i32) (param $p i32) (param $q i32) (param $alpha i32) (param $at i32) (param $row i32)
    (param $c i32) (param $flags i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $k i32) (local $col i32) (local $r i32) (local $acc v128) (local $ld i32)
    (local.set $ld (i32.mul (i32.load offset=48 (local.get $g)) (local.get $q)))
    (block $is_done (loop $is
      (br_if $is_done (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $col (i32.const 0))
      (block $cs_done (loop $cs
        (br_if $cs_done (i32.ge_u (local.get $col) (local.get $alpha)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $r (i32.const 0))
        (block $rs_done (loop $rs
          (br_if $rs_done (i32.ge_u (local.get $r) (local.get $alpha)))
          (local.set $acc (f32x4.relaxed_madd
            (v128.load32_splat (i32.add (local.get $at) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $alpha)) (local.get $r)) (i32.const 2))))
            (v128.load (i32.add (local.get $p) (i32.mul (i32.add (i32.mul (local.get $r) (local.get $alpha)) (local.get $col)) (local.get $q))))
            (local.get $acc)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rs)))
        (v128.store (i32.add (local.get $row) (i32.shl (local.get $col) (i32.const 4))) (local.get $acc))
        (local.set $col (i32.add (local.get $col) (i32.const 1)))
        (br $cs)))
      (local.set $k (i32.const 0))
      (block $ks_done (loop $ks
        (br_if $ks_done (i32.ge_u (local.get $k) (local.get $cols)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $col (i32.const 0))
        (block $sum_done (loop $sum
          (br_if $sum_done (i32.ge_u (local.get $col) (local.get $alpha)))
          (local.set $acc (f32x4.relaxed_madd
            (v128.load (i32.add (local.get $row) (i32.shl (local.get $col) (i32.const 4))))
            (v128.load32_splat (i32.add (local.get $at) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $alpha)) (local.get $col)) (i32.const 2))))
            (local.get $acc)))
          (local.set $col (i32.add (local.get $col) (i32.const 1)))
          (br $sum)))
        (v128.store (i32.add (local.get $out) (i32.add (i32.mul (local.get $i) (local.get $ld)) (i32.mul (local.get $k) (local.get $q))))
          (call $wino_output (local.get $acc) (local.get $g) (local.get $c) (local.get $flags)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ks)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $is))))

  ;; Aᵀ M A for F(2×2, 3×3) (Aᵀ written out), M's position ξ at p + ξ·q: the pixels (0,0),
  ;; (0,1), (1,0), (1,1) of 4 channels. Columns of Aᵀ M, s0 = m0 + m1 + m2 and
  ;; s1 = m1 − m2 − m3 down each column of the 4×4, then (s0 + s1 + s2, s1 − s2 − s3) along rows
  (func $wino_output_4 (param $p i32) (param $q i32) (result v128 v128 v128 v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128) (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local $column i32)
    (local.set $column (local.get $p))
    (local.set $m0 (v128.load (local.get $column)))
    (local.set $m1 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 2)))))
    (local.set $m2 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 3)))))
    (local.set $m3 (v128.load (i32.add (local.get $column) (i32.mul (local.get $q) (i32.const 12)))))
    (local.set $s00 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
    (local.set $s10 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
    (local.set $column (i32.add (local.get $column) (local.get $q)))
    (local.set $m0 (v128.load (local.get $column)))
    (local.set $m1 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 2)))))
    (local.set $m2 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 3)))))
    (local.set $m3 (v128.load (i32.add (local.get $column) (i32.mul (local.get $q) (i32.const 12)))))
    (local.set $s01 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
    (local.set $s11 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
    (local.set $column (i32.add (local.get $column) (local.get $q)))
    (local.set $m0 (v128.load (local.get $column)))
    (local.set $m1 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 2)))))
    (local.set $m2 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 3)))))
    (local.set $m3 (v128.load (i32.add (local.get $column) (i32.mul (local.get $q) (i32.const 12)))))
    (local.set $s02 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
    (local.set $s12 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
    (local.set $column (i32.add (local.get $column) (local.get $q)))
    (local.set $m0 (v128.load (local.get $column)))
    (local.set $m1 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 2)))))
    (local.set $m2 (v128.load (i32.add (local.get $column) (i32.shl (local.get $q) (i32.const 3)))))
    (local.set $m3 (v128.load (i32.add (local.get $column) (i32.mul (local.get $q) (i32.const 12)))))
    (local.set $s03 (f32x4.add (f32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
    (local.set $s13 (f32x4.sub (f32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
    (f32x4.add (f32x4.add (local.get $s00) (local.get $s01)) (local.get $s02))
    (f32x4.sub (f32x4.sub (local.get $s01) (local.get $s02)) (local.get $s03))
    (f32x4.add (f32x4.add (local.get $s10) (local.get $s11)) (local.get $s12))
    (f32x4.sub (f32x4.sub (local.get $s11) (local.get $s12)) (local.get $s13)))

  ;; an output vector of channels c…c+3 with the bias (flags 2) added and the relu (flags 1)
  (func $wino_output (param $y v128) (param $g i32) (param $c i32) (param $flags i32) (result v128)
    (if (i32.and (local.get $flags) (i32.const 2))
      (then (local.set $y (f32x4.add (local.get $y) (v128.load (i32.add (i32.load offset=8 (local.get $g)) (i32.shl (local.get $c) (i32.const 2))))))))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then (local.set $y (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $y)))))
    (local.get $y))

  ;; The filter gradient by the same transforms. With y = Aᵀ [U ⊙ V] A per tile, the gradient
  ;; of U is (A dY Aᵀ) ⊙ V for the tile's 2×2 output gradient dY, so that
  ;;   dU_ξ[CI × CO] = Σ over tiles of V_ξᵀ · Z_ξ,   Z = A dY Aᵀ,   and   dW = Gᵀ dU G,
  ;; 16 matrix products with the tiles as their reduction. The tiles go in chunks of mb
  ;; (word 20), the chunk from tile kb (word 21) on: wino_dw_transform writes the chunk's V
  ;; (row-major, V_ξ [mb × CI]) and Z (V_ξ's panels of 8 columns, as the GEMM reads B), then
  ;; wino_dw_products adds their products into dU (from the second chunk on), each unit a
  ;; block of input channels of one ξ summing the chunk's tiles in order: the same bits on any
  ;; number of threads. wino_dw_filter turns dU into dW. Word 27's buffer holds dU
  ;; ([ξ][CI][CO]), then V, then Z.

  ;; the addresses of V and Z in word 27's buffer
  (func $wino_v (param $g i32) (result i32)
    (i32.add (i32.load offset=108 (local.get $g))
      (i32.shl (i32.mul (i32.load offset=40 (local.get $g)) (i32.load offset=52 (local.get $g))) (i32.const 6))))
  (func $wino_z (param $g i32) (result i32)
    ;; V's 16·mb·CI floats and 32 bytes for the GEMM's reads past its last row
    (i32.add (call $wino_v (local.get $g))
      (i32.add (i32.shl (i32.mul (i32.load offset=80 (local.get $g)) (i32.load offset=40 (local.get $g))) (i32.const 6)) (i32.const 32))))

  ;; V = Bᵀ d B for R = 3 (Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]) of 4 channels of a tile,
  ;; the patch's row a, column b at p + a·rs + b·cs; V_ξ at dst + ξ·xs, its channel l `lanes`
  ;; bytes on from there, or (lanes 0) the 4 of them together (as $wino_input_any's). Rows 1
  ;; and 2 of Bᵀ d (d1 + d2, d2 − d1) from d1 and d2, then rows 0 (d0 − d2) and 3 (d1 − d3).
  (func $wino_v_tile (param $p i32) (param $rs i32) (param $cs i32) (param $dst i32) (param $xs i32) (param $lanes i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128) (local $q i32)
    (local.set $q (i32.add (local.get $p) (local.get $rs)))
    (local.set $a0 (v128.load (local.get $q)))
    (local.set $a1 (v128.load (i32.add (local.get $q) (local.get $cs))))
    (local.set $a2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $cs) (i32.const 1)))))
    (local.set $a3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $cs) (i32.const 3)))))
    (local.set $q (i32.add (local.get $q) (local.get $rs)))
    (local.set $b0 (v128.load (local.get $q)))
    (local.set $b1 (v128.load (i32.add (local.get $q) (local.get $cs))))
    (local.set $b2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $cs) (i32.const 1)))))
    (local.set $b3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $cs) (i32.const 3)))))
    ;; row 1: d1 + d2
    (local.set $e0 (f32x4.add (local.get $a0) (local.get $b0)))
    (local.set $e1 (f32x4.add (local.get $a1) (local.get $b1)))
    (local.set $e2 (f32x4.add (local.get $a2) (local.get $b2)))
    (local.set $e3 (f32x4.add (local.get $a3) (local.get $b3)))
    (call $wino_v_store (local.get $e0) (local.get $e1) (local.get $e2) (local.get $e3) (i32.add (local.get $dst) (i32.shl (local.get $xs) (i32.const 2))) (local.get $xs) (local.get $lanes))
    ;; row 2: d2 − d1
    (local.set $e0 (f32x4.sub (local.get $b0) (local.get $a0)))
    (local.set $e1 (f32x4.sub (local.get $b1) (local.get $a1)))
    (local.set $e2 (f32x4.sub (local.get $b2) (local.get $a2)))
    (local.set $e3 (f32x4.sub (local.get $b3) (local.get $a3)))
    (call $wino_v_store (local.get $e0) (local.get $e1) (local.get $e2) (local.get $e3) (i32.add (local.get $dst) (i32.shl (local.get $xs) (i32.const 3))) (local.get $xs) (local.get $lanes))
    ;; row 0: d0 − d2
    (local.set $e0 (f32x4.sub (v128.load (local.get $p)) (local.get $b0)))
    (local.set $e1 (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $cs))) (local.get $b1)))
    (local.set $e2 (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $cs) (i32.const 1)))) (local.get $b2)))
    (local.set $e3 (f32x4.sub (v128.load (i32.add (local.get $p) (i32.mul (local.get $cs) (i32.const 3)))) (local.get $b3)))
    (call $wino_v_store (local.get $e0) (local.get $e1) (local.get $e2) (local.get $e3) (local.get $dst) (local.get $xs) (local.get $lanes))
    ;; row 3: d1 − d3
    (local.set $q (i32.add (local.get $q) (local.get $rs)))
    (local.set $e0 (f32x4.sub (local.get $a0) (v128.load (local.get $q))))
    (local.set $e1 (f32x4.sub (local.get $a1) (v128.load (i32.add (local.get $q) (local.get $cs)))))
    (local.set $e2 (f32x4.sub (local.get $a2) (v128.load (i32.add (local.get $q) (i32.shl (local.get $cs) (i32.const 1))))))
    (local.set $e3 (f32x4.sub (local.get $a3) (v128.load (i32.add (local.get $q) (i32.mul (local.get $cs) (i32.const 3))))))
    (call $wino_v_store (local.get $e0) (local.get $e1) (local.get $e2) (local.get $e3) (i32.add (local.get $dst) (i32.mul (local.get $xs) (i32.const 12))) (local.get $xs) (local.get $lanes)))

  ;; a row e of Bᵀ d times B: e0 − e2, e1 + e2, e2 − e1, e1 − e3 at dst, dst + xs, … (lanes: as
  ;; $wino_v_tile's)
  (func $wino_v_store (param $e0 v128) (param $e1 v128) (param $e2 v128) (param $e3 v128) (param $dst i32) (param $xs i32) (param $lanes i32)
    (call $wino_store (f32x4.sub (local.get $e0) (local.get $e2)) (local.get $dst) (local.get $lanes))
    (local.set $dst (i32.add (local.get $dst) (local.get $xs)))
    (call $wino_store (f32x4.add (local.get $e1) (local.get $e2)) (local.get $dst) (local.get $lanes))
    (local.set $dst (i32.add (local.get $dst) (local.get $xs)))
    (call $wino_store (f32x4.sub (local.get $e2) (local.get $e1)) (local.get $dst) (local.get $lanes))
    (local.set $dst (i32.add (local.get $dst) (local.get $xs)))
    (call $wino_store (f32x4.sub (local.get $e1) (local.get $e3)) (local.get $dst) (local.get $lanes)))

  ;; v's 4 channels at dst, each `lanes` bytes after the one before, or (lanes 0) together
  (func $wino_store (param $v v128) (param $dst i32) (param $lanes i32)
    (if (i32.eqz (local.get $lanes))
      (then
        (v128.store (local.get $dst) (local.get $v))
        (return)))
    (f32.store (local.get $dst) (f32x4.extract_lane 0 (local.get $v)))
    (local.set $dst (i32.add (local.get $dst) (local.get $lanes)))
    (f32.store (local.get $dst) (f32x4.extract_lane 1 (local.get $v)))
    (local.set $dst (i32.add (local.get $dst) (local.get $lanes)))
    (f32.store (local.get $dst) (f32x4.extract_lane 2 (local.get $v)))
    (local.set $dst (i32.add (local.get $dst) (local.get $lanes)))
    (f32.store (local.get $dst) (f32x4.extract_lane 3 (local.get $v))))

  ;; a row (p, q) of A dY times Aᵀ: p, p + q, p − q, −q at dst, dst + xs, …
  (func $wino_z_row (param $p v128) (param $q v128) (param $dst i32) (param $xs i32)
    (v128.store (local.get $dst) (local.get $p))
    (local.set $dst (i32.add (local.get $dst) (local.get $xs)))
    (v128.store (local.get $dst) (f32x4.add (local.get $p) (local.get $q)))
    (local.set $dst (i32.add (local.get $dst) (local.get $xs)))
    (v128.store (local.get $dst) (f32x4.sub (local.get $p) (local.get $q)))
    (local.set $dst (i32.add (local.get $dst) (local.get $xs)))
    (v128.store (local.get $dst) (f32x4.neg (local.get $q))))

  ;; V and Z of the chunk's tiles, a unit being 16 of them. Scratch per thread: an edge tile's
  ;; patch of x, 16·CI floats (as conv_wino_fwd's for R = 3).
  (func (export "wino_dw_transform") (param $g i32) (param $tid i32) (param $nt i32)
    (local $H i32) (local $W i32) (local $CI i32) (local $OH i32) (local $OW i32) (local $CO i32) (local $CO8 i32) (local $ph i32) (local $pw i32)
    (local $TW i32) (local $TT i32) (local $T i32) (local $chunk i32) (local $first i32) (local $patch i32) (local $v i32) (local $z i32)
    (local $j i32) (local $hi i32) (local $t i32) (local $n i32) (local $th i32) (local $tw i32) (local $ih i32) (local $iw i32)
    (local $base i32) (local $rs i32) (local $cs i32) (local $c i32) (local $p i32) (local $dst i32) (local $xs i32)
    (local $dy i32) (local $right i32) (local $below i32) (local $q i32)
    (local $d00 v128) (local $d01 v128) (local $d10 v128) (local $d11 v128)
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $CO8 (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8)))
    (local.set $ph (i32.load offset=72 (local.get $g)))
    (local.set $pw (i32.load offset=76 (local.get $g)))
    (local.set $chunk (i32.load offset=80 (local.get $g)))
    (local.set $first (i32.load offset=84 (local.get $g)))
    (local.set $TW (i32.shr_u (i32.add (local.get $OW) (i32.const 1)) (i32.const 1)))
    (local.set $TT (i32.mul (i32.shr_u (i32.add (local.get $OH) (i32.const 1)) (i32.const 1)) (local.get $TW)))
    (local.set $T (call $min (local.get $chunk) (i32.sub (i32.mul (i32.load offset=28 (local.get $g)) (local.get $TT)) (local.get $first))))
    (local.set $cs (i32.shl (local.get $CI) (i32.const 2)))
    (local.set $q (i32.shl (local.get $CO) (i32.const 2)))
    (local.set $patch (call $scratch (local.get $g) (local.get $tid)))
    (local.set $v (call $wino_v (local.get $g)))
    (local.set $z (call $wino_z (local.get $g)))
    (block $all (loop $units
      (local.set $j (i32.shl (call $next (local.get $g)) (i32.const 4)))
      (br_if $all (i32.ge_u (local.get $j) (local.get $T)))
      (local.set $hi (call $min (i32.add (local.get $j) (i32.const 16)) (local.get $T)))
      (block $tiles_done (loop $tiles
        (br_if $tiles_done (i32.ge_u (local.get $j) (local.get $hi)))
        (local.set $t (i32.add (local.get $first) (local.get $j)))
        (call $wino_tile (local.get $t) (local.get $TT) (local.get $TW))
        (local.set $tw) (local.set $th) (local.set $n)
        (local.set $ih (i32.sub (i32.shl (local.get $th) (i32.const 1)) (local.get $ph)))
        (local.set $iw (i32.sub (i32.shl (local.get $tw) (i32.const 1)) (local.get $pw)))
        (local.set $base (call $wino_patch (local.get $g) (local.get $n) (local.get $ih) (local.get $iw) (i32.const 4) (local.get $patch)))
        (local.set $rs (select (i32.shl (local.get $cs) (i32.const 2)) (i32.mul (local.get $W) (local.get $cs)) (i32.eq (local.get $base) (local.get $patch))))
        ;; V_ξ's row j: Bᵀ d B, 4 channels at a time
        (local.set $xs (i32.mul (local.get $chunk) (local.get $cs)))
        (local.set $dst (i32.add (local.get $v) (i32.mul (local.get $j) (local.get $cs))))
        (local.set $p (local.get $base))
        (local.set $c (i32.const 0))
        (block $cs_done (loop $chans
          (br_if $cs_done (i32.ge_u (local.get $c) (local.get $CI)))
          (call $wino_v_tile (local.get $p) (local.get $rs) (local.get $cs) (local.get $dst) (local.get $xs) (i32.const 0))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $chans)))
        ;; Z_ξ's row j (in panels): A dY Aᵀ from the tile's 2×2 of dy, zeros past its edges
        (local.set $right (i32.lt_u (i32.add (i32.shl (local.get $tw) (i32.const 1)) (i32.const 1)) (local.get $OW)))
        (local.set $below (i32.lt_u (i32.add (i32.shl (local.get $th) (i32.const 1)) (i32.const 1)) (local.get $OH)))
        (local.set $dy (i32.add (i32.load offset=92 (local.get $g))
          (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $OH)) (i32.shl (local.get $th) (i32.const 1))) (local.get $OW)) (i32.shl (local.get $tw) (i32.const 1))) (local.get $q))))
        (local.set $xs (i32.mul (local.get $chunk) (i32.shl (local.get $CO8) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $cos_done (loop $cos
          (br_if $cos_done (i32.ge_u (local.get $c) (local.get $CO8)))
          (local.set $dst (i32.add (local.get $z)
            (i32.add (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $c) (i32.const 3)) (local.get $chunk)) (local.get $j)) (i32.const 5))
              (i32.shl (i32.and (local.get $c) (i32.const 7)) (i32.const 2)))))
          (local.set $d00 (v128.const i32x4 0 0 0 0))
          (local.set $d01 (v128.const i32x4 0 0 0 0))
          (local.set $d10 (v128.const i32x4 0 0 0 0))
          (local.set $d11 (v128.const i32x4 0 0 0 0))
          (if (i32.lt_u (local.get $c) (local.get $CO))
            (then
              (local.set $p (i32.add (local.get $dy) (i32.shl (local.get $c) (i32.const 2))))
              (local.set $d00 (v128.load (local.get $p)))
              (if (local.get $right) (then (local.set $d01 (v128.load (i32.add (local.get $p) (local.get $q))))))
              (if (local.get $below)
                (then
                  (local.set $p (i32.add (local.get $p) (i32.mul (local.get $OW) (local.get $q))))
                  (local.set $d10 (v128.load (local.get $p)))
                  (if (local.get $right) (then (local.set $d11 (v128.load (i32.add (local.get $p) (local.get $q))))))))))
          ;; rows of A dY: (d00, d01), their sums, their differences, −(d10, d11)
          (call $wino_z_row (local.get $d00) (local.get $d01) (local.get $dst) (local.get $xs))
          (call $wino_z_row (f32x4.add (local.get $d00) (local.get $d10)) (f32x4.add (local.get $d01) (local.get $d11))
            (i32.add (local.get $dst) (i32.shl (local.get $xs) (i32.const 2))) (local.get $xs))
          (call $wino_z_row (f32x4.sub (local.get $d00) (local.get $d10)) (f32x4.sub (local.get $d01) (local.get $d11))
            (i32.add (local.get $dst) (i32.shl (local.get $xs) (i32.const 3))) (local.get $xs))
          (call $wino_z_row (f32x4.neg (local.get $d10)) (f32x4.neg (local.get $d11))
            (i32.add (local.get $dst) (i32.mul (local.get $xs) (i32.const 12))) (local.get $xs))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $cos)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tiles)))
      (br $units))))

  ;; dU_ξ (+)= V_ξᵀ · Z_ξ over the chunk's tiles, 256 at a time; a unit is 96 input channels
  ;; (rows of dU_ξ) of one ξ. Scratch per thread: the GEMM's 256·8 + 64 floats.
  (func (export "wino_dw_products") (param $g i32) (param $tid i32) (param $nt i32)
    (local $CI i32) (local $CO i32) (local $CO8 i32) (local $chunk i32) (local $T i32) (local $blocks i32) (local $unit i32)
    (local $xi i32) (local $c0 i32) (local $k0 i32) (local $ks i32) (local $v i32) (local $z i32) (local $du i32)
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $CO8 (i32.and (i32.add (local.get $CO) (i32.const 7)) (i32.const -8)))
    (local.set $chunk (i32.load offset=80 (local.get $g)))
    (local.set $T (call $min (local.get $chunk)
      (i32.sub (i32.mul (i32.load offset=28 (local.get $g))
        (i32.mul (i32.shr_u (i32.add (i32.load offset=44 (local.get $g)) (i32.const 1)) (i32.const 1)) (i32.shr_u (i32.add (i32.load offset=48 (local.get $g)) (i32.const 1)) (i32.const 1))))
        (i32.load offset=84 (local.get $g)))))
    (local.set $blocks (i32.div_u (i32.add (local.get $CI) (i32.const 95)) (i32.const 96)))
    (block $all (loop $units
      (local.set $unit (call $next (local.get $g)))
      (br_if $all (i32.ge_u (local.get $unit) (i32.shl (local.get $blocks) (i32.const 4))))
      (local.set $xi (i32.div_u (local.get $unit) (local.get $blocks)))
      (local.set $c0 (i32.mul (i32.sub (local.get $unit) (i32.mul (local.get $xi) (local.get $blocks))) (i32.const 96)))
      (local.set $v (i32.add (call $wino_v (local.get $g)) (i32.shl (i32.add (i32.mul (i32.mul (local.get $xi) (local.get $chunk)) (local.get $CI)) (local.get $c0)) (i32.const 2))))
      (local.set $z (i32.add (call $wino_z (local.get $g)) (i32.shl (i32.mul (i32.mul (local.get $xi) (local.get $chunk)) (local.get $CO8)) (i32.const 2))))
      (local.set $du (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.mul (i32.add (i32.mul (local.get $xi) (local.get $CI)) (local.get $c0)) (local.get $CO)) (i32.const 2))))
      (local.set $k0 (i32.const 0))
      (block $kdone (loop $ksteps
        (br_if $kdone (i32.ge_u (local.get $k0) (local.get $T)))
        (local.set $ks (call $min (i32.const 256) (i32.sub (local.get $T) (local.get $k0))))
        (call $gemm
          (i32.add (local.get $v) (i32.mul (local.get $k0) (i32.shl (local.get $CI) (i32.const 2)))) (i32.shl (local.get $CI) (i32.const 2)) (i32.const 24)
          (call $min (i32.const 96) (i32.sub (local.get $CI) (local.get $c0)))
          (i32.add (local.get $z) (i32.shl (local.get $k0) (i32.const 5))) (i32.const 32) (i32.shl (local.get $chunk) (i32.const 5))
          (local.get $CO) (local.get $ks)
          (local.get $du) (i32.shl (local.get $CO) (i32.const 2))
          ;; a later chunk or block adds to dU
          (i32.ne (i32.or (local.get $k0) (i32.load offset=84 (local.get $g))) (i32.const 0)) (i32.const 0) (call $scratch (local.get $g) (local.get $tid)))
        (local.set $k0 (i32.add (local.get $k0) (local.get $ks)))
        (br $ksteps)))
      (br $units))))

  ;; dW = Gᵀ dU G (Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]) into out [3,3,CI,CO]; a unit is an input
  ;; channel, 4 output channels at a time
  (func (export "wino_dw_filter") (param $g i32) (param $tid i32) (param $nt i32)
    (local $CI i32) (local $CO i32) (local $ci i32) (local $co i32) (local $p i32) (local $xs i32) (local $dst i32) (local $tap i32) (local $column i32)
    (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $h00 v128) (local $h01 v128) (local $h02 v128) (local $h03 v128) (local $h10 v128) (local $h11 v128) (local $h12 v128) (local $h13 v128)
    (local $h20 v128) (local $h21 v128) (local $h22 v128) (local $h23 v128)
    (local.set $CI (i32.load offset=40 (local.get $g)))
    (local.set $CO (i32.load offset=52 (local.get $g)))
    (local.set $xs (i32.shl (i32.mul (local.get $CI) (local.get $CO)) (i32.const 2)))
    (local.set $tap (local.get $xs))
    (block $all (loop $units
      (local.set $ci (call $next (local.get $g)))
      (br_if $all (i32.ge_u (local.get $ci) (local.get $CI)))
      (local.set $co (i32.const 0))
      (block $done (loop $cos
        (br_if $done (i32.ge_u (local.get $co) (local.get $CO)))
        (local.set $p (i32.add (i32.load offset=108 (local.get $g)) (i32.shl (i32.add (i32.mul (local.get $ci) (local.get $CO)) (local.get $co)) (i32.const 2))))
        ;; Gᵀ down each column c of dU: (u0 + ½u1 + ½u2, ½u1 − ½u2, ½u1 + ½u2 + u3)
        (local.set $column (i32.const 0))
        (block $cols_done (loop $cols
          (br_if $cols_done (i32.ge_u (local.get $column) (i32.const 4)))
          (local.set $u0 (v128.load (local.get $p)))
          (local.set $u1 (f32x4.mul (v128.load (i32.add (local.get $p) (i32.shl (local.get $xs) (i32.const 2)))) (v128.const f32x4 0.5 0.5 0.5 0.5)))
          (local.set $u2 (f32x4.mul (v128.load (i32.add (local.get $p) (i32.shl (local.get $xs) (i32.const 3)))) (v128.const f32x4 0.5 0.5 0.5 0.5)))
          (local.set $u3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $xs) (i32.const 12)))))
          (local.set $h00 (local.get $h01)) (local.set $h01 (local.get $h02)) (local.set $h02 (local.get $h03))
          (local.set $h03 (f32x4.add (f32x4.add (local.get $u0) (local.get $u1)) (local.get $u2)))
          (local.set $h10 (local.get $h11)) (local.set $h11 (local.get $h12)) (local.set $h12 (local.get $h13))
          (local.set $h13 (f32x4.sub (local.get $u1) (local.get $u2)))
          (local.set $h20 (local.get $h21)) (local.set $h21 (local.get $h22)) (local.set $h22 (local.get $h23))
          (local.set $h23 (f32x4.add (f32x4.add (local.get $u1) (local.get $u2)) (local.get $u3)))
          (local.set $p (i32.add (local.get $p) (local.get $xs)))
          (local.set $column (i32.add (local.get $column) (i32.const 1)))
          (br $cols)))
        ;; then G along each row: taps kh·3 + kw, CI·CO floats apart
        (local.set $dst (i32.add (i32.load offset=12 (local.get $g)) (i32.shl (i32.add (i32.mul (local.get $ci) (local.get $CO)) (local.get $co)) (i32.const 2))))
        (call $wino_dw_row (local.get $h00) (local.get $h01) (local.get $h02) (local.get $h03) (local.get $dst) (local.get $tap))
        (call $wino_dw_row (local.get $h10) (local.get $h11) (local.get $h12) (local.get $h13) (i32.add (local.get $dst) (i32.mul (local.get $tap) (i32.const 3))) (local.get $tap))
        (call $wino_dw_row (local.get $h20) (local.get $h21) (local.get $h22) (local.get $h23) (i32.add (local.get $dst) (i32.mul (local.get $tap) (i32.const 6))) (local.get $tap))
        (local.set $co (i32.add (local.get $co) (i32.const 4)))
        (br $cos)))
      (br $units))))

  ;; a row (h0 h1 h2 h3) of Gᵀ dU times G: h0 + ½h1 + ½h2, ½h1 − ½h2, ½h1 + ½h2 + h3 at dst, dst + tap, …
  (func $wino_dw_row (param $h0 v128) (param $h1 v128) (param $h2 v128) (param $h3 v128) (param $dst i32) (param $tap i32)
    (local.set $h1 (f32x4.mul (local.get $h1) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $h2 (f32x4.mul (local.get $h2) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (v128.store (local.get $dst) (f32x4.add (f32x4.add (local.get $h0) (local.get $h1)) (local.get $h2)))
    (v128.store (i32.add (local.get $dst) (local.get $tap)) (f32x4.sub (local.get $h1) (local.get $h2)))
    (v128.store (i32.add (local.get $dst) (i32.shl (local.get $tap) (i32.const 1))) (f32x4.add (f32x4.add (local.get $h1) (local.get $h2)) (local.get $h3))))

  ;; ---------------------------------------------------------------- max pooling's gradient

  ;; dx of a max pooling (window KH×KW, strides sh×sw, padding ph×pw; C = CI channels): each
  ;; window's dy goes to its largest input, the first one in row-major order on ties (as
  ;; PyTorch). A unit is an image, in two passes: every window's winner per channel, as the
  ;; index of its tap (i32s, OH·OW·C of them in the thread's scratch); then every input pixel's
  ;; dx, the sum of dy over the windows it won, in window order, written once. Measured against
  ;; zeroing dx and adding dy at each winner's address: 1.3–1.4× faster on one thread
  ;; (ResNet-18's stem pooling: 11.5–13.2 → 8.2–9.9 ms), 1.1× on two.
  (func (export "maxpool_bwd") (param $g i32) (param $tid i32) (param $nt i32)
    (local $N i32) (local $H i32) (local $W i32) (local $C i32) (local $OH i32) (local $OW i32) (local $KH i32) (local $KW i32)
    (local $sh i32) (local $sw i32) (local $ph i32) (local $pw i32) (local $pix i32) (local $wins i32)
    (local $n i32) (local $image i32) (local $d i32) (local $dx i32) (local $o i32)
    (local $oh i32) (local $ow i32) (local $ia i32) (local $ja i32) (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32)
    (local $ih i32) (local $iw i32) (local $oh0 i32) (local $oh1 i32) (local $ow0 i32) (local $ow1 i32)
    (local $i i32) (local $j i32) (local $c i32) (local $p i32) (local $q i32) (local $tap i32)
    (local $best v128) (local $at v128) (local $v v128) (local $m v128) (local $bs f32) (local $ts i32) (local $vs f32)
    (local $best1 v128) (local $best2 v128) (local $best3 v128) (local $at1 v128) (local $at2 v128) (local $at3 v128) (local $t v128)
    (local.set $N (i32.load offset=28 (local.get $g)))
    (local.set $H (i32.load offset=32 (local.get $g)))
    (local.set $W (i32.load offset=36 (local.get $g)))
    (local.set $C (i32.load offset=40 (local.get $g)))
    (local.set $OH (i32.load offset=44 (local.get $g)))
    (local.set $OW (i32.load offset=48 (local.get $g)))
    (local.set $KH (i32.load offset=56 (local.get $g)))
    (local.set $KW (i32.load offset=60 (local.get $g)))
    (local.set $sh (i32.load offset=64 (local.get $g)))
    (local.set $sw (i32.load offset=68 (local.get $g)))
    (local.set $ph (i32.load offset=72 (local.get $g)))
    (local.set $pw (i32.load offset=76 (local.get $g)))
    (local.set $pix (i32.shl (local.get $C) (i32.const 2)))
    (local.set $wins (call $scratch (local.get $g) (local.get $tid)))
    (block $all (loop $units
      (local.set $n (call $next (local.get $g)))
      (br_if $all (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $image (i32.add (i32.load offset=0 (local.get $g)) (i32.mul (i32.mul (local.get $n) (i32.mul (local.get $H) (local.get $W))) (local.get $pix))))
      ;; pass 1: the winners, window by window
      (local.set $o (local.get $wins))
      (local.set $oh (i32.const 0))
      (block $oh_done (loop $ohs
        (br_if $oh_done (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $ia (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $ph)))
        (local.set $i0 (call $max (local.get $ia) (i32.const 0)))
        (local.set $i1 (call $min (i32.add (local.get $ia) (local.get $KH)) (local.get $H)))
        (local.set $ow (i32.const 0))
        (block $ow_done (loop $ows
          (br_if $ow_done (i32.ge_u (local.get $ow) (local.get $OW)))
          (local.set $ja (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $pw)))
          (local.set $j0 (call $max (local.get $ja) (i32.const 0)))
          (local.set $j1 (call $min (i32.add (local.get $ja) (local.get $KW)) (local.get $W)))
          (local.set $c (i32.const 0))
          ;; 16 channels at a time, from −∞ and the window's first tap (which any value but −∞
          ;; replaces): four vectors, four independent chains of comparisons
          (block $vec_done (loop $vecs
            (br_if $vec_done (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $C)))
            (local.set $at (i32x4.splat (i32.add (i32.mul (i32.sub (local.get $i0) (local.get $ia)) (local.get $KW)) (i32.sub (local.get $j0) (local.get $ja)))))
            (local.set $at1 (local.get $at)) (local.set $at2 (local.get $at)) (local.set $at3 (local.get $at))
            (local.set $best (v128.const f32x4 -inf -inf -inf -inf))
            (local.set $best1 (local.get $best)) (local.set $best2 (local.get $best)) (local.set $best3 (local.get $best))
            (local.set $i (local.get $i0))
            (block $i_done (loop $is
              (br_if $i_done (i32.ge_u (local.get $i) (local.get $i1)))
              (local.set $p (i32.add (local.get $image) (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $W)) (local.get $j0)) (local.get $pix)) (i32.shl (local.get $c) (i32.const 2)))))
              (local.set $tap (i32.add (i32.mul (i32.sub (local.get $i) (local.get $ia)) (local.get $KW)) (i32.sub (local.get $j0) (local.get $ja))))
              (local.set $j (local.get $j0))
              (block $j_done (loop $js
                (br_if $j_done (i32.ge_u (local.get $j) (local.get $j1)))
                (local.set $t (i32x4.splat (local.get $tap)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                (local.set $at (v128.bitselect (local.get $t) (local.get $at) (local.get $m)))
                (local.set $v (v128.load offset=16 (local.get $p)))
                (local.set $m (f32x4.gt (local.get $v) (local.get $best1)))
                (local.set $best1 (v128.bitselect (local.get $v) (local.get $best1) (local.get $m)))
                (local.set $at1 (v128.bitselect (local.get $t) (local.get $at1) (local.get $m)))
                (local.set $v (v128.load offset=32 (local.get $p)))
                (local.set $m (f32x4.gt (local.get $v) (local.get $best2)))
                (local.set $best2 (v128.bitselect (local.get $v) (local.get $best2) (local.get $m)))
                (local.set $at2 (v128.bitselect (local.get $t) (local.get $at2) (local.get $m)))
                (local.set $v (v128.load offset=48 (local.get $p)))
                (local.set $m (f32x4.gt (local.get $v) (local.get $best3)))
                (local.set $best3 (v128.bitselect (local.get $v) (local.get $best3) (local.get $m)))
                (local.set $at3 (v128.bitselect (local.get $t) (local.get $at3) (local.get $m)))
                (local.set $p (i32.add (local.get $p) (local.get $pix)))
                (local.set $tap (i32.add (local.get $tap) (i32.const 1)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $js)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $is)))
            (local.set $p (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 2))))
            (v128.store offset=0 (local.get $p) (local.get $at))
            (v128.store offset=16 (local.get $p) (local.get $at1))
            (v128.store offset=32 (local.get $p) (local.get $at2))
            (v128.store offset=48 (local.get $p) (local.get $at3))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $vecs)))
          ;; the channels past the last 16, one at a time
          (block $tail_done (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $bs (f32.const -inf))
            (local.set $ts (i32.add (i32.mul (i32.sub (local.get $i0) (local.get $ia)) (local.get $KW)) (i32.sub (local.get $j0) (local.get $ja))))
            (local.set $i (local.get $i0))
            (block $i_done (loop $is
              (br_if $i_done (i32.ge_u (local.get $i) (local.get $i1)))
              (local.set $j (local.get $j0))
              (block $j_done (loop $js
                (br_if $j_done (i32.ge_u (local.get $j) (local.get $j1)))
                (local.set $vs (f32.load (i32.add (local.get $image) (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $W)) (local.get $j)) (local.get $pix)) (i32.shl (local.get $c) (i32.const 2))))))
                (if (f32.gt (local.get $vs) (local.get $bs))
                  (then
                    (local.set $bs (local.get $vs))
                    (local.set $ts (i32.add (i32.mul (i32.sub (local.get $i) (local.get $ia)) (local.get $KW)) (i32.sub (local.get $j) (local.get $ja))))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $js)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $is)))
            (i32.store (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 2))) (local.get $ts))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
          (local.set $o (i32.add (local.get $o) (local.get $pix)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $ows)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohs)))
      ;; pass 2: each input pixel's dx, over the windows that contain it
      (local.set $d (i32.add (i32.load offset=92 (local.get $g)) (i32.mul (i32.mul (local.get $n) (i32.mul (local.get $OH) (local.get $OW))) (local.get $pix))))
      (local.set $dx (i32.add (i32.load offset=12 (local.get $g)) (i32.mul (i32.mul (local.get $n) (i32.mul (local.get $H) (local.get $W))) (local.get $pix))))
      (local.set $ih (i32.const 0))
      (block $ih_done (loop $ihs
        (br_if $ih_done (i32.ge_u (local.get $ih) (local.get $H)))
        ;; windows oh with oh·sh − ph ≤ ih < oh·sh − ph + KH
        (call $pixels_inside (i32.const 0) (local.get $sh) (i32.sub (i32.add (local.get $ph) (local.get $ih)) (i32.sub (local.get $KH) (i32.const 1))) (local.get $OH) (local.get $KH))
        (local.set $oh1)
        (local.set $oh0)
        (local.set $iw (i32.const 0))
        (block $iw_done (loop $iws
          (br_if $iw_done (i32.ge_u (local.get $iw) (local.get $W)))
          (call $pixels_inside (i32.const 0) (local.get $sw) (i32.sub (i32.add (local.get $pw) (local.get $iw)) (i32.sub (local.get $KW) (i32.const 1))) (local.get $OW) (local.get $KW))
          (local.set $ow1)
          (local.set $ow0)
          (call $zero (local.get $dx) (local.get $C))
          (local.set $oh (local.get $oh0))
          (block $oh_done (loop $ohs
            (br_if $oh_done (i32.ge_u (local.get $oh) (local.get $oh1)))
            (local.set $ow (local.get $ow0))
            (block $ow_done (loop $ows
              (br_if $ow_done (i32.ge_u (local.get $ow) (local.get $ow1)))
              (local.set $tap (i32.add
                (i32.mul (i32.sub (i32.add (local.get $ih) (local.get $ph)) (i32.mul (local.get $oh) (local.get $sh))) (local.get $KW))
                (i32.sub (i32.add (local.get $iw) (local.get $pw)) (i32.mul (local.get $ow) (local.get $sw)))))
              (local.set $q (i32.mul (i32.add (i32.mul (local.get $oh) (local.get $OW)) (local.get $ow)) (local.get $pix)))
              (local.set $c (i32.const 0))
              (block $vec_done (loop $vecs
                (br_if $vec_done (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $C)))
                (local.set $p (i32.add (local.get $q) (i32.shl (local.get $c) (i32.const 2))))
                (v128.store (i32.add (local.get $dx) (i32.shl (local.get $c) (i32.const 2)))
                  (f32x4.add (v128.load (i32.add (local.get $dx) (i32.shl (local.get $c) (i32.const 2))))
                    (v128.and (v128.load (i32.add (local.get $d) (local.get $p)))
                      (i32x4.eq (v128.load (i32.add (local.get $wins) (local.get $p))) (i32x4.splat (local.get $tap))))))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $vecs)))
              (block $tail_done (loop $tail
                (br_if $tail_done (i32.ge_u (local.get $c) (local.get $C)))
                (local.set $p (i32.add (local.get $q) (i32.shl (local.get $c) (i32.const 2))))
                (if (i32.eq (i32.load (i32.add (local.get $wins) (local.get $p))) (local.get $tap))
                  (then (f32.store (i32.add (local.get $dx) (i32.shl (local.get $c) (i32.const 2)))
                    (f32.add (f32.load (i32.add (local.get $dx) (i32.shl (local.get $c) (i32.const 2)))) (f32.load (i32.add (local.get $d) (local.get $p)))))))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $tail)))
              (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
              (br $ows)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $ohs)))
          (local.set $dx (i32.add (local.get $dx) (local.get $pix)))
          (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
          (br $iws)))
        (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
        (br $ihs)))
      (br $units))))

  ;; ---------------------------------------------------------------- channels
  ;; Tensors as [M × C] (NHWC with M = N·H·W), split by rows among the threads.

  ;; Σ(v − k) and Σ(v − k)² of nv ≤ 4 consecutive vectors over `count` rows `stride` bytes
  ;; apart from a, stored at s1 and s2 (nv vectors each), k the nv vectors at `shift`. The sums
  ;; stay in registers; with nv < 4 the missing vectors repeat the first (same sums, discarded).
  (func $sums_columns (param $a i32) (param $stride i32) (param $count i32) (param $nv i32) (param $shift i32) (param $s1 i32) (param $s2 i32)
    (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128) (local $v v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local.set $o1 (select (i32.const 16) (i32.const 0) (i32.gt_u (local.get $nv) (i32.const 1))))
    (local.set $o2 (select (i32.const 32) (i32.const 0) (i32.gt_u (local.get $nv) (i32.const 2))))
    (local.set $o3 (select (i32.const 48) (i32.const 0) (i32.gt_u (local.get $nv) (i32.const 3))))
    (local.set $k0 (v128.load (local.get $shift)))
    (local.set $k1 (v128.load (i32.add (local.get $shift) (local.get $o1))))
    (local.set $k2 (v128.load (i32.add (local.get $shift) (local.get $o2))))
    (local.set $k3 (v128.load (i32.add (local.get $shift) (local.get $o3))))
    (block $done (loop $rows
      (br_if $done (i32.eqz (local.get $count)))
      (local.set $v (f32x4.sub (v128.load (local.get $a)) (local.get $k0)))
      (local.set $p0 (f32x4.add (local.get $p0) (local.get $v)))
      (local.set $q0 (f32x4.relaxed_madd (local.get $v) (local.get $v) (local.get $q0)))
      (local.set $v (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $o1))) (local.get $k1)))
      (local.set $p1 (f32x4.add (local.get $p1) (local.get $v)))
      (local.set $q1 (f32x4.relaxed_madd (local.get $v) (local.get $v) (local.get $q1)))
      (local.set $v (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $o2))) (local.get $k2)))
      (local.set $p2 (f32x4.add (local.get $p2) (local.get $v)))
      (local.set $q2 (f32x4.relaxed_madd (local.get $v) (local.get $v) (local.get $q2)))
      (local.set $v (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $o3))) (local.get $k3)))
      (local.set $p3 (f32x4.add (local.get $p3) (local.get $v)))
      (local.set $q3 (f32x4.relaxed_madd (local.get $v) (local.get $v) (local.get $q3)))
      (local.set $a (i32.add (local.get $a) (local.get $stride)))
      (local.set $count (i32.sub (local.get $count) (i32.const 1)))
      (br $rows)))
    ;; the repeats first, so that each real vector's sums are stored last
    (v128.store (i32.add (local.get $s1) (local.get $o3)) (local.get $p3))
    (v128.store (i32.add (local.get $s2) (local.get $o3)) (local.get $q3))
    (v128.store (i32.add (local.get $s1) (local.get $o2)) (local.get $p2))
    (v128.store (i32.add (local.get $s2) (local.get $o2)) (local.get $q2))
    (v128.store (i32.add (local.get $s1) (local.get $o1)) (local.get $p1))
    (v128.store (i32.add (local.get $s2) (local.get $o1)) (local.get $q1))
    (v128.store (local.get $s1) (local.get $p0))
    (v128.store (local.get $s2) (local.get $q0)))

  ;; Per-channel sums over the rows of x [M × C] (M: word 28, C: word 40) this thread takes, 64
  ;; rows a unit: Σ(x − s) and Σ(x − s)², where s is x's first row with flags bit 1 (so that
  ;; the variance keeps its precision when |mean| ≫ std), 0 without. Added into this thread's
  ;; scratch as f64 totals (zeroed by the caller): D1 [C] then D2 [C]; f32 partial sums of a
  ;; unit (S1, S2 [C] after them), so f32 rounding stays that of a 64-term sum; then 64 floats
  ;; for the period of few channels (below) and 16 zeros.
  ;; The partial sums are kept in registers, 4 vectors at a time ($sums_columns): with C a
  ;; multiple of 4, down each group of 16 channels; with C = 1, 2, 3 or 6, whose channels repeat
  ;; every 4 or 12 floats, down the unit seen as rows of that period, each position's sums then
  ;; added to its channel's. Other C go row by row.
  (func (export "channel_sums") (param $g i32) (param $tid i32) (param $nt i32)
    (local $x i32) (local $M i32) (local $C i32) (local $sq i32) (local $r i32) (local $end i32)
    (local $d1 i32) (local $d2 i32) (local $s1 i32) (local $s2 i32) (local $c i32) (local $row i32) (local $v v128) (local $f f32)
    (local $period i32) (local $ps i32) (local $zeros i32) (local $floats i32) (local $whole i32) (local $i i32)
    (local.set $x (i32.load offset=0 (local.get $g)))
    (local.set $M (i32.load offset=28 (local.get $g)))
    (local.set $C (i32.load offset=40 (local.get $g)))
    (local.set $sq (i32.and (i32.load offset=24 (local.get $g)) (i32.const 1)))
    (local.set $d1 (call $scratch (local.get $g) (local.get $tid)))
    (local.set $d2 (i32.add (local.get $d1) (i32.shl (local.get $C) (i32.const 3))))
    (local.set $s1 (i32.add (local.get $d2) (i32.shl (local.get $C) (i32.const 3))))
    (local.set $s2 (i32.add (local.get $s1) (i32.shl (local.get $C) (i32.const 2))))
    ;; the period's shift (12 floats), its two sums (12 each), then zeros
    (local.set $ps (i32.add (local.get $s2) (i32.shl (local.get $C) (i32.const 2))))
    (local.set $zeros (i32.add (local.get $ps) (i32.const 192)))
    (call $zero (local.get $zeros) (i32.const 16))
    (local.set $period
      (if (result i32) (i32.and (i32.eqz (i32.and (local.get $C) (i32.const 3))) (i32.const 1)) (then (i32.const 0))
        (else (if (result i32) (i32.le_u (local.get $C) (i32.const 2)) (then (i32.const 4))
          (else (if (result i32) (i32.or (i32.eq (local.get $C) (i32.const 3)) (i32.eq (local.get $C) (i32.const 6)))
            (then (i32.const 12)) (else (i32.const 0))))))))
    (if (local.get $period)
      (then
        (local.set $i (i32.const 0))
        (block $s_done (loop $shift
          (br_if $s_done (i32.ge_u (local.get $i) (local.get $period)))
          (f32.store (i32.add (local.get $ps) (i32.shl (local.get $i) (i32.const 2)))
            (select (f32.load (i32.add (local.get $x) (i32.shl (i32.rem_u (local.get $i) (local.get $C)) (i32.const 2)))) (f32.const 0) (local.get $sq)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $shift)))))
    (block $done (loop $blocks
      (local.set $r (i32.mul (call $next (local.get $g)) (i32.const 64)))
      (br_if $done (i32.ge_u (local.get $r) (local.get $M)))
      (local.set $end (call $min (i32.add (local.get $r) (i32.const 64)) (local.get $M)))
      (call $zero (local.get $s1) (i32.shl (local.get $C) (i32.const 1)))
      (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2))))
      (if (i32.eqz (i32.and (local.get $C) (i32.const 3)))
        (then
          ;; down each group of up to 16 channels
          (local.set $c (i32.const 0))
          (block $g_done (loop $groups
            (br_if $g_done (i32.ge_u (local.get $c) (local.get $C)))
            (call $sums_columns (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))) (i32.shl (local.get $C) (i32.const 2))
              (i32.sub (local.get $end) (local.get $r)) (call $min (i32.const 4) (i32.shr_u (i32.sub (local.get $C) (local.get $c)) (i32.const 2)))
              (select (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))) (local.get $zeros) (local.get $sq))
              (i32.add (local.get $s1) (i32.shl (local.get $c) (i32.const 2))) (i32.add (local.get $s2) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $groups)))
          (local.set $r (local.get $end))))
      (if (local.get $period)
        (then
          ;; down the unit as rows of the period, each position's sums to its channel; then the
          ;; floats after the last whole period one at a time (as the rows below)
          (local.set $floats (i32.mul (i32.sub (local.get $end) (local.get $r)) (local.get $C)))
          (local.set $whole (i32.div_u (local.get $floats) (local.get $period)))
          (call $sums_columns (local.get $row) (i32.shl (local.get $period) (i32.const 2)) (local.get $whole) (i32.shr_u (local.get $period) (i32.const 2))
            (local.get $ps) (i32.add (local.get $ps) (i32.const 64)) (i32.add (local.get $ps) (i32.const 128)))
          (local.set $i (i32.const 0))
          (block $f_done (loop $fold
            (br_if $f_done (i32.ge_u (local.get $i) (local.get $period)))
            (local.set $c (i32.shl (i32.rem_u (local.get $i) (local.get $C)) (i32.const 2)))
            (f32.store (i32.add (local.get $s1) (local.get $c)) (f32.add (f32.load (i32.add (local.get $s1) (local.get $c)))
              (f32.load offset=64 (i32.add (local.get $ps) (i32.shl (local.get $i) (i32.const 2))))))
            (f32.store (i32.add (local.get $s2) (local.get $c)) (f32.add (f32.load (i32.add (local.get $s2) (local.get $c)))
              (f32.load offset=128 (i32.add (local.get $ps) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $fold)))
          (local.set $row (i32.add (local.get $row) (i32.shl (i32.mul (local.get $whole) (local.get $period)) (i32.const 2))))
          (local.set $i (i32.mul (local.get $whole) (local.get $period)))
          (block $t_done (loop $tail
            (br_if $t_done (i32.ge_u (local.get $i) (local.get $floats)))
            (local.set $c (i32.shl (i32.rem_u (local.get $i) (local.get $C)) (i32.const 2)))
            (local.set $f (f32.sub (f32.load (local.get $row)) (f32.load (i32.add (local.get $ps) (local.get $c)))))
            (f32.store (i32.add (local.get $s1) (local.get $c)) (f32.add (f32.load (i32.add (local.get $s1) (local.get $c))) (local.get $f)))
            (f32.store (i32.add (local.get $s2) (local.get $c))
              (f32.add (f32.load (i32.add (local.get $s2) (local.get $c))) (f32.mul (local.get $f) (local.get $f))))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tail)))
          (local.set $r (local.get $end))))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $v_done (loop $vecs
          (br_if $v_done (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $C)))
          (local.set $v (v128.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
          (if (local.get $sq) (then (local.set $v (f32x4.sub (local.get $v) (v128.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))))))
          (v128.store (i32.add (local.get $s1) (i32.shl (local.get $c) (i32.const 2)))
            (f32x4.add (v128.load (i32.add (local.get $s1) (i32.shl (local.get $c) (i32.const 2)))) (local.get $v)))
          (v128.store (i32.add (local.get $s2) (i32.shl (local.get $c) (i32.const 2)))
            (f32x4.relaxed_madd (local.get $v) (local.get $v) (v128.load (i32.add (local.get $s2) (i32.shl (local.get $c) (i32.const 2))))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $vecs)))
        (block $t_done (loop $tail
          (br_if $t_done (i32.ge_u (local.get $c) (local.get $C)))
          (local.set $f (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
          (if (local.get $sq) (then (local.set $f (f32.sub (local.get $f) (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))))))
          (f32.store (i32.add (local.get $s1) (i32.shl (local.get $c) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $s1) (i32.shl (local.get $c) (i32.const 2)))) (local.get $f)))
          (f32.store (i32.add (local.get $s2) (i32.shl (local.get $c) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $s2) (i32.shl (local.get $c) (i32.const 2)))) (f32.mul (local.get $f) (local.get $f))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $tail)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))
      ;; the block's sums into the totals
      (local.set $c (i32.const 0))
      (block $f_done (loop $flush
        (br_if $f_done (i32.ge_u (local.get $c) (local.get $C)))
        (f64.store (i32.add (local.get $d1) (i32.shl (local.get $c) (i32.const 3)))
          (f64.add (f64.load (i32.add (local.get $d1) (i32.shl (local.get $c) (i32.const 3))))
            (f64.promote_f32 (f32.load (i32.add (local.get $s1) (i32.shl (local.get $c) (i32.const 2)))))))
        (f64.store (i32.add (local.get $d2) (i32.shl (local.get $c) (i32.const 3)))
          (f64.add (f64.load (i32.add (local.get $d2) (i32.shl (local.get $c) (i32.const 3))))
            (f64.promote_f32 (f32.load (i32.add (local.get $s2) (i32.shl (local.get $c) (i32.const 2)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $flush)))
      (br $blocks))))

  ;; Concatenation along channels and its gradient. Word 0 points to `count` (word 56) pairs
  ;; (address, channels) of the parts, word 12 to the whole [M × C] (M: word 28, C: word 40).
  ;; flags bit 1 clear: the whole from the parts; set: the parts from the whole.
  (func (export "concat_channels") (param $g i32) (param $tid i32) (param $nt i32)
    (local $parts i32) (local $whole i32) (local $M i32) (local $C i32) (local $count i32) (local $split i32)
    (local $lo i32) (local $hi i32) (local $i i32) (local $at i32) (local $ci i32) (local $off i32) (local $src i32) (local $dst i32)
    (local.set $parts (i32.load offset=0 (local.get $g)))
    (local.set $whole (i32.load offset=12 (local.get $g)))
    (local.set $M (i32.load offset=28 (local.get $g)))
    (local.set $C (i32.load offset=40 (local.get $g)))
    (local.set $count (i32.load offset=56 (local.get $g)))
    (local.set $split (i32.and (i32.load offset=24 (local.get $g)) (i32.const 1)))
    (block $all (loop $units
    ;; a unit is 256 rows, part by part: each a strided copy of rows [lo, hi)
    (local.set $lo (i32.mul (call $next (local.get $g)) (i32.const 256)))
    (br_if $all (i32.ge_u (local.get $lo) (local.get $M)))
    (local.set $hi (call $min (i32.add (local.get $lo) (i32.const 256)) (local.get $M)))
    (local.set $i (i32.const 0))
    (local.set $off (i32.const 0))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $at (i32.load (i32.add (local.get $parts) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $ci (i32.load offset=4 (i32.add (local.get $parts) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $src (i32.add (local.get $at) (i32.shl (i32.mul (local.get $lo) (local.get $ci)) (i32.const 2))))
      (local.set $dst (i32.add (local.get $whole) (i32.shl (i32.add (i32.mul (local.get $lo) (local.get $C)) (local.get $off)) (i32.const 2))))
      (call $copy_rows (local.get $src) (local.get $dst) (i32.sub (local.get $hi) (local.get $lo)) (local.get $ci)
        (i32.shl (local.get $ci) (i32.const 2)) (i32.shl (local.get $C) (i32.const 2)) (local.get $split))
      (local.set $off (i32.add (local.get $off) (local.get $ci)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each)))
    (br $units))))

  ;; rows of n floats from a (rows sa bytes apart) to b (sb apart), or back when `back`
  (func $copy_rows (param $a i32) (param $b i32) (param $rows i32) (param $n i32) (param $sa i32) (param $sb i32) (param $back i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $rows)))
      (if (local.get $back)
        (then (call $copy (local.get $b) (local.get $a) (local.get $n)))
        (else (call $copy (local.get $a) (local.get $b) (local.get $n))))
      (local.set $a (i32.add (local.get $a) (local.get $sa)))
      (local.set $b (i32.add (local.get $b) (local.get $sb)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $l))))
)
