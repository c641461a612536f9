;; netc's own WebAssembly SIMD kernels for the memory-bound parts of a training step:
;; batch norm (forward statistics + normalize + activation, and the whole backward) with an
;; optional fused 2×2 average pooling. Built by scripts/build-kernels.mjs (wabt, simd feature)
;; into dist/netc-kernels.wasm; src/kernels/register.ts instantiates it on tfjs-backend-wasm's
;; own memory, so the kernels read and write tensors where tfjs keeps them.
;;
;; Layout. A tensor is float32 NHWC flattened to [M, C] (C contiguous), walked as one flat run
;; of 4-lane vectors. Per-position arrays of Q floats, Q a multiple of lcm(C, 4) and ≥ 32, hold
;; the accumulators and the per-channel coefficients replicated: the vector at byte o of a
;; Q-period (o cycles through 0, 16, …, 4Q−16) has lanes of channels (o/4 + j) mod C, so every
;; loop is plain vector code for any C, and an accumulator slot is touched only every Q/4 ≥ 8
;; vectors (no store-to-load latency chain). The T mod 4 floats left over go through one padded
;; vector. The position o carries over between calls in $phase (row-by-row walks).
;;
;; V8 (Node 20) does not inline wasm calls and rematerializes constants at every use, so the
;; loops make no calls, write the activations out, and take their constants from memory.
;;
;; Scratch (given by the caller, 16-byte aligned, $scratch_bytes; Qb = 4Q bytes):
;;   SS = s                     f32 partial sums, interleaved per vector: S1 at SS+2o, S2 at +16
;;   D1 = s+2Qb, D2 = s+4Qb     f64 per-position totals (Q doubles each)
;;   KK = s+6Qb                 f32 coefficients K0..K3, interleaved: Kj at KK+4o+16j
;;   T0..T3 = s+10Qb            four vectors for the padded tail
;;   CST = s+10Qb+64            the activations' constants (320 bytes)
;;   U = s+10Qb+384             one upsampled dy row (W·C floats), pooled backward only
;;
;; Sums: f32 lanes accumulate 32 terms per slot, then are added into f64 totals, so the f32
;; rounding error stays that of a 32-term sum. The forward pass sums x − shift with shift = the
;; first row (a sample of each channel): var = E[(x−shift)²] − E[x−shift]² in f64 then has no
;; catastrophic cancellation even when |mean| ≫ std, in one read of x (a two-pass mean-then-
;; centered-squares would read x three times in all).
;;
;; Activations (act): 0 none, 1 relu, 2 sigmoid, 3 tanh.
(module
  (import "env" "memory" (memory 1))

  ;; position in the Q-period, carried between calls of one walk
  (global $phase (mut i32) (i32.const 0))
  ;; vectors accumulated since the last flush to f64
  (global $cnt (mut i32) (i32.const 0))

  ;; ---------------------------------------------------------------- helpers

  ;; zeroes nb bytes (a multiple of 4)
  (func $zero (param $p i32) (param $nb i32)
    (block $done (loop $l
      (br_if $done (i32.lt_u (local.get $nb) (i32.const 16)))
      (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $nb (i32.sub (local.get $nb) (i32.const 16)))
      (br $l)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $nb)))
      (f32.store (local.get $p) (f32.const 0))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $nb (i32.sub (local.get $nb) (i32.const 4)))
      (br $l))))

  ;; copies n floats
  (func $copy (param $src i32) (param $dst i32) (param $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (f32.store (local.get $dst) (f32.load (local.get $src)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l))))

  ;; one vector at dst: the n < 4 floats at src, then zeros
  (func $load_pad (param $src i32) (param $dst i32) (param $n i32)
    (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
    (call $copy (local.get $src) (local.get $dst) (local.get $n)))

  ;; the address of coefficient j at float position q of the period
  (func $kaddr (param $KK i32) (param $j i32) (param $q i32) (result i32)
    (i32.add (local.get $KK)
      (i32.add (i32.shl (i32.shr_u (local.get $q) (i32.const 2)) (i32.const 6))
        (i32.add (i32.shl (local.get $j) (i32.const 4)) (i32.shl (i32.and (local.get $q) (i32.const 3)) (i32.const 2))))))

  ;; Kj[q] = Kj[q − C] for q in [C, Q): per-channel values in the first C positions become
  ;; per-position values
  (func $kreplicate (param $KK i32) (param $j i32) (param $C i32) (param $Q i32)
    (local $q i32)
    (local.set $q (local.get $C))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $q) (local.get $Q)))
      (f32.store (call $kaddr (local.get $KK) (local.get $j) (local.get $q))
        (f32.load (call $kaddr (local.get $KK) (local.get $j) (i32.sub (local.get $q) (local.get $C)))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $l))))

  ;; D1 += S1, D2 += S2 (f32 → f64), then S1 = S2 = 0
  (func $flush (param $s i32) (param $Qb i32)
    (local $p i32) (local $d1 i32) (local $d2 i32) (local $sp i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (i32.shl (local.get $Qb) (i32.const 1))))
      (local.set $sp (i32.add (local.get $s) (local.get $p)))
      (local.set $d1 (i32.add (local.get $sp) (i32.shl (local.get $Qb) (i32.const 1))))
      (local.set $d2 (i32.add (local.get $sp) (i32.shl (local.get $Qb) (i32.const 2))))
      (v128.store (local.get $d1) (f64x2.add (v128.load (local.get $d1))
        (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $sp)))))
      (v128.store offset=16 (local.get $d1) (f64x2.add (v128.load offset=16 (local.get $d1))
        (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $sp)))))
      (v128.store (local.get $d2) (f64x2.add (v128.load (local.get $d2))
        (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $sp)))))
      (v128.store offset=16 (local.get $d2) (f64x2.add (v128.load offset=16 (local.get $d2))
        (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $sp)))))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (br $l)))
    (call $zero (local.get $s) (i32.shl (local.get $Qb) (i32.const 1)))
    (global.set $cnt (i32.const 0)))

  ;; folds the f64 per-position totals into per-channel totals in D1[0..C), D2[0..C)
  (func $fold (param $s i32) (param $Qb i32) (param $C i32)
    (local $q i32) (local $c i32) (local $Q i32) (local $d1 i32) (local $d2 i32)
    (local.set $Q (i32.shr_u (local.get $Qb) (i32.const 2)))
    (local.set $d1 (i32.add (local.get $s) (i32.shl (local.get $Qb) (i32.const 1))))
    (local.set $d2 (i32.add (local.get $s) (i32.shl (local.get $Qb) (i32.const 2))))
    (local.set $q (local.get $C))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $q) (local.get $Q)))
      (f64.store (i32.add (local.get $d1) (i32.shl (local.get $c) (i32.const 3)))
        (f64.add (f64.load (i32.add (local.get $d1) (i32.shl (local.get $c) (i32.const 3))))
          (f64.load (i32.add (local.get $d1) (i32.shl (local.get $q) (i32.const 3))))))
      (f64.store (i32.add (local.get $d2) (i32.shl (local.get $c) (i32.const 3)))
        (f64.add (f64.load (i32.add (local.get $d2) (i32.shl (local.get $c) (i32.const 3))))
          (f64.load (i32.add (local.get $d2) (i32.shl (local.get $q) (i32.const 3))))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (local.get $C)) (then (local.set $c (i32.const 0))))
      (br $l))))

  ;; Q: the smallest multiple of lcm(C, 4) that is ≥ 32
  (func $period (param $C i32) (result i32)
    (local $P i32) (local $Q i32)
    (local.set $P
      (if (result i32) (i32.eqz (i32.and (local.get $C) (i32.const 3)))
        (then (local.get $C))
        (else (if (result i32) (i32.eqz (i32.and (local.get $C) (i32.const 1)))
          (then (i32.shl (local.get $C) (i32.const 1)))
          (else (i32.shl (local.get $C) (i32.const 2)))))))
    (local.set $Q (local.get $P))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $Q) (i32.const 32)))
      (local.set $Q (i32.add (local.get $Q) (local.get $P)))
      (br $l)))
    (local.get $Q))

  ;; bytes of scratch that bn_fwd / bn_bwd need
  (func (export "scratch_bytes") (param $C i32) (param $W i32) (param $pooled i32) (result i32)
    (i32.add
      (i32.add (i32.mul (i32.shl (call $period (local.get $C)) (i32.const 2)) (i32.const 10)) (i32.const 384))
      (if (result i32) (local.get $pooled)
        (then (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
        (else (i32.const 0)))))

  ;; ---------------------------------------------------------------- 2×2 average pooling

  ;; One input row (W·C floats) of avgpool2's gradient from one dy row ((W/2)·C floats): each
  ;; input gets dy/4 of its window; an odd last column gets 0. Vectors over C in chunks of 4,
  ;; the last chunk overlapping the one before when C mod 4 ≠ 0.
  (func $upsample_row (param $src i32) (param $dst i32) (param $W i32) (param $C i32)
    (local $Cb i32) (local $pw i32) (local $a i32) (local $sp i32) (local $o i32) (local $v v128)
    (local $f f32)
    (local.set $Cb (i32.shl (local.get $C) (i32.const 2)))
    (block $done (loop $cols
      (br_if $done (i32.ge_u (local.get $pw) (i32.shr_u (local.get $W) (i32.const 1))))
      (local.set $sp (i32.add (local.get $src) (i32.mul (local.get $pw) (local.get $Cb))))
      (local.set $a (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $pw) (local.get $Cb)) (i32.const 1))))
      (if (i32.ge_u (local.get $C) (i32.const 4))
        (then
          (local.set $o (i32.const 0))
          (loop $chunks
            (if (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $Cb))
              (then (local.set $o (i32.sub (local.get $Cb) (i32.const 16)))))
            (local.set $v (f32x4.mul (v128.load (i32.add (local.get $sp) (local.get $o)))
              (v128.const f32x4 0.25 0.25 0.25 0.25)))
            (v128.store (i32.add (local.get $a) (local.get $o)) (local.get $v))
            (v128.store (i32.add (i32.add (local.get $a) (local.get $Cb)) (local.get $o)) (local.get $v))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br_if $chunks (i32.lt_u (local.get $o) (local.get $Cb)))))
        (else
          (local.set $o (i32.const 0))
          (loop $scalars
            (local.set $f (f32.mul (f32.load (i32.add (local.get $sp) (local.get $o))) (f32.const 0.25)))
            (f32.store (i32.add (local.get $a) (local.get $o)) (local.get $f))
            (f32.store (i32.add (i32.add (local.get $a) (local.get $Cb)) (local.get $o)) (local.get $f))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br_if $scalars (i32.lt_u (local.get $o) (local.get $Cb))))))
      (local.set $pw (i32.add (local.get $pw) (i32.const 1)))
      (br $cols)))
    (if (i32.and (local.get $W) (i32.const 1))
      (then (call $zero
        (i32.add (local.get $dst) (i32.mul (i32.sub (local.get $W) (i32.const 1)) (local.get $Cb)))
        (local.get $Cb)))))

  ;; One output row of avgpool2 ((W/2)·C floats) from two input rows r0, r1 (W·C floats each).
  (func $pool_rows (param $r0 i32) (param $r1 i32) (param $out i32) (param $W i32) (param $C i32)
    (local $Cb i32) (local $pw i32) (local $a i32) (local $b i32) (local $op i32) (local $o i32)
    (local.set $Cb (i32.shl (local.get $C) (i32.const 2)))
    (block $done (loop $cols
      (br_if $done (i32.ge_u (local.get $pw) (i32.shr_u (local.get $W) (i32.const 1))))
      (local.set $a (i32.add (local.get $r0) (i32.shl (i32.mul (local.get $pw) (local.get $Cb)) (i32.const 1))))
      (local.set $b (i32.add (local.get $r1) (i32.shl (i32.mul (local.get $pw) (local.get $Cb)) (i32.const 1))))
      (local.set $op (i32.add (local.get $out) (i32.mul (local.get $pw) (local.get $Cb))))
      (if (i32.ge_u (local.get $C) (i32.const 4))
        (then
          (local.set $o (i32.const 0))
          (loop $chunks
            (if (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $Cb))
              (then (local.set $o (i32.sub (local.get $Cb) (i32.const 16)))))
            (v128.store (i32.add (local.get $op) (local.get $o))
              (f32x4.mul
                (f32x4.add
                  (f32x4.add (v128.load (i32.add (local.get $a) (local.get $o)))
                    (v128.load (i32.add (i32.add (local.get $a) (local.get $Cb)) (local.get $o))))
                  (f32x4.add (v128.load (i32.add (local.get $b) (local.get $o)))
                    (v128.load (i32.add (i32.add (local.get $b) (local.get $Cb)) (local.get $o)))))
                (v128.const f32x4 0.25 0.25 0.25 0.25)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br_if $chunks (i32.lt_u (local.get $o) (local.get $Cb)))))
        (else
          (local.set $o (i32.const 0))
          (loop $scalars
            (f32.store (i32.add (local.get $op) (local.get $o))
              (f32.mul
                (f32.add
                  (f32.add (f32.load (i32.add (local.get $a) (local.get $o)))
                    (f32.load (i32.add (i32.add (local.get $a) (local.get $Cb)) (local.get $o))))
                  (f32.add (f32.load (i32.add (local.get $b) (local.get $o)))
                    (f32.load (i32.add (i32.add (local.get $b) (local.get $Cb)) (local.get $o)))))
                (f32.const 0.25)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br_if $scalars (i32.lt_u (local.get $o) (local.get $Cb))))))
      (local.set $pw (i32.add (local.get $pw) (i32.const 1)))
      (br $cols))))

  ;; dx [N,H,W,C] of a 2×2 stride-2 average pooling (valid padding) from dy [N,H/2,W/2,C]
  (func $avgpool2_bwd (export "avgpool2_bwd")
    (param $dy i32) (param $dx i32) (param $N i32) (param $H i32) (param $W i32) (param $C i32)
    (local $n i32) (local $h i32) (local $rowb i32) (local $prowb i32) (local $row i32)
    (local.set $rowb (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
    (local.set $prowb (i32.shl (i32.mul (i32.shr_u (local.get $W) (i32.const 1)) (local.get $C)) (i32.const 2)))
    (block $dn (loop $ln
      (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $h (i32.const 0))
      (block $dh (loop $lh
        (br_if $dh (i32.ge_u (local.get $h) (local.get $H)))
        (local.set $row (i32.add (local.get $dx)
          (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $rowb))))
        (if (i32.eq (i32.or (local.get $h) (i32.const 1)) (local.get $H))
          ;; the odd last row of an odd H has no window
          (then (call $zero (local.get $row) (local.get $rowb)))
          (else (call $upsample_row
            (i32.add (local.get $dy) (i32.mul
              (i32.add (i32.mul (local.get $n) (i32.shr_u (local.get $H) (i32.const 1)))
                (i32.shr_u (local.get $h) (i32.const 1)))
              (local.get $prowb)))
            (local.get $row) (local.get $W) (local.get $C))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $lh)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $ln))))

  ;; y [N,H/2,W/2,C] = avgpool2(x [N,H,W,C])
  (func $avgpool2_fwd (export "avgpool2_fwd")
    (param $x i32) (param $y i32) (param $N i32) (param $H i32) (param $W i32) (param $C i32)
    (local $n i32) (local $ph i32) (local $rowb i32) (local $prowb i32) (local $row i32)
    (local.set $rowb (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
    (local.set $prowb (i32.shl (i32.mul (i32.shr_u (local.get $W) (i32.const 1)) (local.get $C)) (i32.const 2)))
    (block $dn (loop $ln
      (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $ph (i32.const 0))
      (block $dh (loop $lh
        (br_if $dh (i32.ge_u (local.get $ph) (i32.shr_u (local.get $H) (i32.const 1))))
        (local.set $row (i32.add (local.get $x) (i32.mul
          (i32.add (i32.mul (local.get $n) (local.get $H)) (i32.shl (local.get $ph) (i32.const 1)))
          (local.get $rowb))))
        (call $pool_rows (local.get $row) (i32.add (local.get $row) (local.get $rowb))
          (i32.add (local.get $y) (i32.mul
            (i32.add (i32.mul (local.get $n) (i32.shr_u (local.get $H) (i32.const 1))) (local.get $ph))
            (local.get $prowb)))
          (local.get $W) (local.get $C))
        (local.set $ph (i32.add (local.get $ph) (i32.const 1)))
        (br $lh)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $ln))))

  ;; the constants of $fwd_y, at CST = s+10Qb+64 (18 vectors)
  (func $init_consts (param $cst i32)
    ;; $log2e: log2(e)
    (v128.store offset=0 (local.get $cst) (v128.const f32x4 0x1.715476p+0 0x1.715476p+0 0x1.715476p+0 0x1.715476p+0))
    ;; $magic: magic bias 1.5·2²³ + 127: rounds, and leaves n + 127 in the low bits
    (v128.store offset=16 (local.get $cst) (v128.const f32x4 0x1.8000FEp23 0x1.8000FEp23 0x1.8000FEp23 0x1.8000FEp23))
    ;; $mln2hi: −ln2, high part
    (v128.store offset=32 (local.get $cst) (v128.const f32x4 -0x1.62E400p-1 -0x1.62E400p-1 -0x1.62E400p-1 -0x1.62E400p-1))
    ;; $mln2lo: −ln2, low part
    (v128.store offset=48 (local.get $cst) (v128.const f32x4 -0x1.7F7D1Cp-20 -0x1.7F7D1Cp-20 -0x1.7F7D1Cp-20 -0x1.7F7D1Cp-20))
    ;; $c5: exp polynomial c5
    (v128.store offset=64 (local.get $cst) (v128.const f32x4 0x1.0F9F9Cp-7 0x1.0F9F9Cp-7 0x1.0F9F9Cp-7 0x1.0F9F9Cp-7))
    ;; $c4: c4
    (v128.store offset=80 (local.get $cst) (v128.const f32x4 0x1.573A1Ap-5 0x1.573A1Ap-5 0x1.573A1Ap-5 0x1.573A1Ap-5))
    ;; $c3: c3
    (v128.store offset=96 (local.get $cst) (v128.const f32x4 0x1.555A80p-3 0x1.555A80p-3 0x1.555A80p-3 0x1.555A80p-3))
    ;; $c2: c2
    (v128.store offset=112 (local.get $cst) (v128.const f32x4 0x1.FFFDC6p-2 0x1.FFFDC6p-2 0x1.FFFDC6p-2 0x1.FFFDC6p-2))
    ;; $c1: c1
    (v128.store offset=128 (local.get $cst) (v128.const f32x4 0x1.FFFFF6p-1 0x1.FFFFF6p-1 0x1.FFFFF6p-1 0x1.FFFFF6p-1))
    ;; $cutoff: t is clamped here
    (v128.store offset=144 (local.get $cst) (v128.const f32x4 -0x1.5D589Ep6 -0x1.5D589Ep6 -0x1.5D589Ep6 -0x1.5D589Ep6))
    ;; $one: 1
    (v128.store offset=160 (local.get $cst) (v128.const f32x4 1 1 1 1))
    ;; $zerov: 0
    (v128.store offset=176 (local.get $cst) (v128.const f32x4 0 0 0 0))
    ;; $t3: tanh Taylor z³: −1/3
    (v128.store offset=192 (local.get $cst) (v128.const f32x4 -0x1.555556p-2 -0x1.555556p-2 -0x1.555556p-2 -0x1.555556p-2))
    ;; $t5: z⁵: 2/15
    (v128.store offset=208 (local.get $cst) (v128.const f32x4 0x1.111112p-3 0x1.111112p-3 0x1.111112p-3 0x1.111112p-3))
    ;; $t7: z⁷: −17/315
    (v128.store offset=224 (local.get $cst) (v128.const f32x4 -0x1.ba1ba2p-5 -0x1.ba1ba2p-5 -0x1.ba1ba2p-5 -0x1.ba1ba2p-5))
    ;; $t9: z⁹: 62/2835
    (v128.store offset=240 (local.get $cst) (v128.const f32x4 0x1.664f48p-6 0x1.664f48p-6 0x1.664f48p-6 0x1.664f48p-6))
    ;; $quarter: tanh: polynomial below |z| = 0.25
    (v128.store offset=256 (local.get $cst) (v128.const f32x4 0.25 0.25 0.25 0.25))
    ;; $sign: sign bit
    (v128.store offset=272 (local.get $cst) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)))

  ;; ---------------------------------------------------------------- batch norm: loops
  ;; Each walks nv vectors from the given pointers, at Q-period position $phase.

  ;; S1 += x − K0, S2 += (x − K0)², flushing to f64 every 8Q vectors
  (func $fwd_stats (param $x i32) (param $nv i32) (param $s i32) (param $Qb i32)
    (local $o i32) (local $cnt i32) (local $thr i32) (local $end i32) (local $lim i32) (local $k i32)
    (local $KK i32) (local $sp i32) (local $v v128)
    (local.set $o (global.get $phase))
    (local.set $thr (i32.shl (local.get $Qb) (i32.const 1)))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $nv) (i32.const 4))))
    (block $done (loop $outer
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      ;; bytes until the next flush
      (local.set $cnt (global.get $cnt))
      (local.set $k (i32.shl (i32.sub (local.get $thr) (local.get $cnt)) (i32.const 4)))
      (local.set $lim (select (local.get $end) (i32.add (local.get $x) (local.get $k))
        (i32.le_u (i32.sub (local.get $end) (local.get $x)) (local.get $k))))
      (global.set $cnt (i32.add (local.get $cnt) (i32.shr_u (i32.sub (local.get $lim) (local.get $x)) (i32.const 4))))
      (loop $vec
        (local.set $sp (i32.add (local.get $s) (i32.shl (local.get $o) (i32.const 1))))
        (local.set $v (f32x4.sub (v128.load (local.get $x))
          (v128.load (i32.add (local.get $KK) (i32.shl (local.get $o) (i32.const 2))))))
        (v128.store (local.get $sp) (f32x4.add (v128.load (local.get $sp)) (local.get $v)))
        (v128.store offset=16 (local.get $sp)
          (f32x4.add (v128.load offset=16 (local.get $sp)) (f32x4.mul (local.get $v) (local.get $v))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $o (select (i32.const 0) (local.get $o) (i32.eq (local.get $o) (local.get $Qb))))
        (br_if $vec (i32.lt_u (local.get $x) (local.get $lim))))
      (if (i32.eq (global.get $cnt) (local.get $thr)) (then (call $flush (local.get $s) (local.get $Qb))))
      (br $outer)))
    (global.set $phase (local.get $o)))

  ;; y = act((x − K0)·K1 + K2), one loop per activation (a branch per vector and the other
  ;; activations' constants would cost registers).
  ;;
  ;; sigmoid and tanh from e = exp(t), t = −|z| (sigmoid) or −2|z| (tanh), by XNNPACK's rr2-p5
  ;; scheme: t = n·ln2 + r with n integral (magic-bias rounding), |r| ≤ ln2/2,
  ;; exp(r) ≈ 1 + r·p(r) with a degree-5 minimax polynomial, 2^n built in the exponent bits;
  ;; t is clamped at −87.3365 (below, e would be denormal; sigmoid there is < 1.2e-38).
  ;; Relative error < 1e-6 (tested).
  ;;   sigmoid z = f or 1 − f (z > 0), f = e/(1+e) = sigmoid(−|z|)
  ;;   tanh z = sign(z)·(1−e)/(1+e); for |z| < 0.25, where 1 − e would cancel, its odd Taylor
  ;;   polynomial to z⁹ (truncation < 1e-8 relative)
  (func $fwd_y (param $x i32) (param $y i32) (param $nv i32) (param $s i32) (param $Qb i32) (param $act i32)
    (if (i32.eq (local.get $act) (i32.const 2))
      (then (call $fwd_y_sigmoid (local.get $x) (local.get $y) (local.get $nv) (local.get $s) (local.get $Qb)))
      (else (if (i32.eq (local.get $act) (i32.const 3))
        (then (call $fwd_y_tanh (local.get $x) (local.get $y) (local.get $nv) (local.get $s) (local.get $Qb)))
        (else (call $fwd_y_linear (local.get $x) (local.get $y) (local.get $nv) (local.get $s) (local.get $Qb)
          (i32.eq (local.get $act) (i32.const 1))))))))

  ;; none, or relu when $relu
  (func $fwd_y_linear (param $x i32) (param $y i32) (param $nv i32) (param $s i32) (param $Qb i32) (param $relu i32)
    (local $o i32) (local $end i32) (local $KK i32) (local $kp i32) (local $z v128)
    (local.set $o (global.get $phase))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $nv) (i32.const 4))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $kp (i32.add (local.get $KK) (i32.shl (local.get $o) (i32.const 2))))
      (local.set $z
        (f32x4.relaxed_madd
          (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $kp))) (v128.load offset=16 (local.get $kp))
          (v128.load offset=32 (local.get $kp))))
      (if (local.get $relu) (then (local.set $z (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $z)))))
      (v128.store (local.get $y) (local.get $z))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $o (select (i32.const 0) (local.get $o) (i32.eq (local.get $o) (local.get $Qb))))
      (br $vec)))
    (global.set $phase (local.get $o)))

  (func $fwd_y_sigmoid (param $x i32) (param $y i32) (param $nv i32) (param $s i32) (param $Qb i32)
    (local $o i32) (local $end i32) (local $KK i32) (local $kp i32) (local $cst i32)
    (local $z v128) (local $t v128) (local $n v128) (local $sc v128) (local $r v128) (local $p v128)
    (local $e v128) (local $f v128)
    (local $log2e v128) (local $magic v128) (local $mln2hi v128) (local $mln2lo v128) (local $c5 v128)
    (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $c1 v128) (local $cutoff v128) (local $one v128)
    (local $sign v128)
    (local.set $o (global.get $phase))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $nv) (i32.const 4))))
    (local.set $cst (i32.add (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 10))) (i32.const 64)))
    (local.set $log2e (v128.load offset=0 (local.get $cst)))
    (local.set $magic (v128.load offset=16 (local.get $cst)))
    (local.set $mln2hi (v128.load offset=32 (local.get $cst)))
    (local.set $mln2lo (v128.load offset=48 (local.get $cst)))
    (local.set $c5 (v128.load offset=64 (local.get $cst)))
    (local.set $c4 (v128.load offset=80 (local.get $cst)))
    (local.set $c3 (v128.load offset=96 (local.get $cst)))
    (local.set $c2 (v128.load offset=112 (local.get $cst)))
    (local.set $c1 (v128.load offset=128 (local.get $cst)))
    (local.set $cutoff (v128.load offset=144 (local.get $cst)))
    (local.set $one (v128.load offset=160 (local.get $cst)))
    (local.set $sign (v128.load offset=272 (local.get $cst)))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $kp (i32.add (local.get $KK) (i32.shl (local.get $o) (i32.const 2))))
      (local.set $z
        (f32x4.relaxed_madd
          (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $kp))) (v128.load offset=16 (local.get $kp))
          (v128.load offset=32 (local.get $kp))))
      ;; e = exp(t), t = −|z| (the sign bit set)
      (local.set $t (f32x4.pmax (local.get $cutoff) (v128.or (local.get $z) (local.get $sign))))
      (local.set $n (f32x4.relaxed_madd (local.get $t) (local.get $log2e) (local.get $magic)))
      (local.set $sc (i32x4.shl (local.get $n) (i32.const 23)))
      (local.set $n (f32x4.sub (local.get $n) (local.get $magic)))
      (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $mln2hi) (local.get $t)))
      (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $mln2lo) (local.get $r)))
      (local.set $p (f32x4.relaxed_madd (local.get $r) (local.get $c5) (local.get $c4)))
      (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c3)))
      (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c2)))
      (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c1)))
      (local.set $r (f32x4.mul (local.get $r) (local.get $sc)))
      (local.set $e (f32x4.relaxed_madd (local.get $r) (local.get $p) (local.get $sc)))
      ;; sigmoid(−|z|), and 1 − that for z > 0
      (local.set $f (f32x4.div (local.get $e) (f32x4.add (local.get $e) (local.get $one))))
      (v128.store (local.get $y) (v128.bitselect
        (f32x4.sub (local.get $one) (local.get $f))
        (local.get $f)
        (f32x4.gt (local.get $z) (v128.const f32x4 0 0 0 0))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $o (select (i32.const 0) (local.get $o) (i32.eq (local.get $o) (local.get $Qb))))
      (br $vec)))
    (global.set $phase (local.get $o)))

  (func $fwd_y_tanh (param $x i32) (param $y i32) (param $nv i32) (param $s i32) (param $Qb i32)
    (local $o i32) (local $end i32) (local $KK i32) (local $kp i32) (local $cst i32)
    (local $z v128) (local $a v128) (local $t v128) (local $n v128) (local $sc v128) (local $r v128)
    (local $p v128) (local $e v128) (local $f v128)
    (local $log2e v128) (local $magic v128) (local $mln2hi v128) (local $mln2lo v128) (local $c5 v128)
    (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $c1 v128) (local $cutoff v128) (local $one v128)
    (local $t3 v128) (local $t5 v128) (local $t7 v128) (local $t9 v128) (local $quarter v128) (local $sign v128)
    (local.set $o (global.get $phase))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $nv) (i32.const 4))))
    (local.set $cst (i32.add (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 10))) (i32.const 64)))
    (local.set $log2e (v128.load offset=0 (local.get $cst)))
    (local.set $magic (v128.load offset=16 (local.get $cst)))
    (local.set $mln2hi (v128.load offset=32 (local.get $cst)))
    (local.set $mln2lo (v128.load offset=48 (local.get $cst)))
    (local.set $c5 (v128.load offset=64 (local.get $cst)))
    (local.set $c4 (v128.load offset=80 (local.get $cst)))
    (local.set $c3 (v128.load offset=96 (local.get $cst)))
    (local.set $c2 (v128.load offset=112 (local.get $cst)))
    (local.set $c1 (v128.load offset=128 (local.get $cst)))
    (local.set $cutoff (v128.load offset=144 (local.get $cst)))
    (local.set $one (v128.load offset=160 (local.get $cst)))
    (local.set $t3 (v128.load offset=192 (local.get $cst)))
    (local.set $t5 (v128.load offset=208 (local.get $cst)))
    (local.set $t7 (v128.load offset=224 (local.get $cst)))
    (local.set $t9 (v128.load offset=240 (local.get $cst)))
    (local.set $quarter (v128.load offset=256 (local.get $cst)))
    (local.set $sign (v128.load offset=272 (local.get $cst)))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $kp (i32.add (local.get $KK) (i32.shl (local.get $o) (i32.const 2))))
      (local.set $z
        (f32x4.relaxed_madd
          (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $kp))) (v128.load offset=16 (local.get $kp))
          (v128.load offset=32 (local.get $kp))))
      ;; e = exp(t), t = −2|z|
      (local.set $a (v128.andnot (local.get $z) (local.get $sign)))
      (local.set $t (f32x4.pmax (local.get $cutoff) (f32x4.mul (local.get $a) (v128.const f32x4 -2 -2 -2 -2))))
      (local.set $n (f32x4.relaxed_madd (local.get $t) (local.get $log2e) (local.get $magic)))
      (local.set $sc (i32x4.shl (local.get $n) (i32.const 23)))
      (local.set $n (f32x4.sub (local.get $n) (local.get $magic)))
      (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $mln2hi) (local.get $t)))
      (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $mln2lo) (local.get $r)))
      (local.set $p (f32x4.relaxed_madd (local.get $r) (local.get $c5) (local.get $c4)))
      (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c3)))
      (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c2)))
      (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c1)))
      (local.set $r (f32x4.mul (local.get $r) (local.get $sc)))
      (local.set $e (f32x4.relaxed_madd (local.get $r) (local.get $p) (local.get $sc)))
      ;; (1−e)/(1+e), or the polynomial a + a·a²·(t3 + a²·(t5 + a²·(t7 + a²·t9)))
      (local.set $f (f32x4.div (f32x4.sub (local.get $one) (local.get $e)) (f32x4.add (local.get $one) (local.get $e))))
      (local.set $t (f32x4.mul (local.get $a) (local.get $a)))
      (local.set $p
        (f32x4.add (local.get $a) (f32x4.mul (f32x4.mul (local.get $a) (local.get $t))
          (f32x4.add (local.get $t3) (f32x4.mul (local.get $t)
            (f32x4.add (local.get $t5) (f32x4.mul (local.get $t)
              (f32x4.relaxed_madd (local.get $t) (local.get $t9) (local.get $t7)))))))))
      (v128.store (local.get $y) (v128.or
        (v128.bitselect (local.get $p) (local.get $f) (f32x4.lt (local.get $a) (local.get $quarter)))
        (v128.and (local.get $z) (local.get $sign))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $o (select (i32.const 0) (local.get $o) (i32.eq (local.get $o) (local.get $Qb))))
      (br $vec)))
    (global.set $phase (local.get $o)))

  ;; exported for the tests: y = act(x) over n floats (n a multiple of 4); scratch as for C = 4
  (func (export "act") (param $x i32) (param $y i32) (param $n i32) (param $act i32) (param $s i32)
    (local $Qb i32) (local $KK i32) (local $q i32)
    (local.set $Qb (i32.shl (call $period (i32.const 4)) (i32.const 2)))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (call $zero (local.get $KK) (i32.shl (local.get $Qb) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $q) (i32.shr_u (local.get $Qb) (i32.const 2))))
      (f32.store (call $kaddr (local.get $KK) (i32.const 1) (local.get $q)) (f32.const 1))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $l)))
    (call $init_consts (i32.add (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 10))) (i32.const 64)))
    (global.set $phase (i32.const 0))
    (call $fwd_y (local.get $x) (local.get $y) (i32.shr_u (local.get $n) (i32.const 2))
      (local.get $s) (local.get $Qb) (local.get $act)))

  ;; dz = dy·act'(y) with act' written in terms of y = act(z): S1 += dz, S2 += dz·(x − K0)
  (func $bwd_stats (param $dy i32) (param $y i32) (param $x i32) (param $nv i32) (param $s i32) (param $Qb i32) (param $act i32)
    (local $o i32) (local $cnt i32) (local $thr i32) (local $end i32) (local $lim i32) (local $k i32)
    (local $KK i32) (local $sp i32) (local $g v128) (local $yv v128) (local $dz v128)
    (local.set $o (global.get $phase))
    (local.set $thr (i32.shl (local.get $Qb) (i32.const 1)))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $nv) (i32.const 4))))
    (block $done (loop $outer
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $cnt (global.get $cnt))
      (local.set $k (i32.shl (i32.sub (local.get $thr) (local.get $cnt)) (i32.const 4)))
      (local.set $lim (select (local.get $end) (i32.add (local.get $x) (local.get $k))
        (i32.le_u (i32.sub (local.get $end) (local.get $x)) (local.get $k))))
      (global.set $cnt (i32.add (local.get $cnt) (i32.shr_u (i32.sub (local.get $lim) (local.get $x)) (i32.const 4))))
      (loop $vec
        (local.set $g (v128.load (local.get $dy)))
        (local.set $yv (v128.load (local.get $y)))
        (local.set $dz
          (if (result v128) (i32.eq (local.get $act) (i32.const 2))
            (then (f32x4.mul (f32x4.mul (local.get $g) (local.get $yv))
              (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $yv))))
            (else (if (result v128) (i32.eq (local.get $act) (i32.const 1))
              (then (v128.and (local.get $g) (f32x4.gt (local.get $yv) (v128.const f32x4 0 0 0 0))))
              (else (if (result v128) (i32.eq (local.get $act) (i32.const 3))
                (then (f32x4.mul (local.get $g) (f32x4.sub (v128.const f32x4 1 1 1 1)
                  (f32x4.mul (local.get $yv) (local.get $yv)))))
                (else (local.get $g))))))))
        (local.set $sp (i32.add (local.get $s) (i32.shl (local.get $o) (i32.const 1))))
        (v128.store (local.get $sp) (f32x4.add (v128.load (local.get $sp)) (local.get $dz)))
        (v128.store offset=16 (local.get $sp)
          (f32x4.add (v128.load offset=16 (local.get $sp))
            (f32x4.mul (local.get $dz)
              (f32x4.sub (v128.load (local.get $x))
                (v128.load (i32.add (local.get $KK) (i32.shl (local.get $o) (i32.const 2))))))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $o (select (i32.const 0) (local.get $o) (i32.eq (local.get $o) (local.get $Qb))))
        (br_if $vec (i32.lt_u (local.get $x) (local.get $lim))))
      (if (i32.eq (global.get $cnt) (local.get $thr)) (then (call $flush (local.get $s) (local.get $Qb))))
      (br $outer)))
    (global.set $phase (local.get $o)))

  ;; dx = ((dz − K2) − (x − K0)·K3)·K1
  (func $bwd_dx (param $dy i32) (param $y i32) (param $x i32) (param $dx i32) (param $nv i32) (param $s i32) (param $Qb i32) (param $act i32)
    (local $o i32) (local $end i32) (local $KK i32) (local $kp i32)
    (local $g v128) (local $yv v128) (local $dz v128)
    (local.set $o (global.get $phase))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $nv) (i32.const 4))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $g (v128.load (local.get $dy)))
      (local.set $yv (v128.load (local.get $y)))
      (local.set $dz
        (if (result v128) (i32.eq (local.get $act) (i32.const 2))
          (then (f32x4.mul (f32x4.mul (local.get $g) (local.get $yv))
            (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $yv))))
          (else (if (result v128) (i32.eq (local.get $act) (i32.const 1))
            (then (v128.and (local.get $g) (f32x4.gt (local.get $yv) (v128.const f32x4 0 0 0 0))))
            (else (if (result v128) (i32.eq (local.get $act) (i32.const 3))
              (then (f32x4.mul (local.get $g) (f32x4.sub (v128.const f32x4 1 1 1 1)
                (f32x4.mul (local.get $yv) (local.get $yv)))))
              (else (local.get $g))))))))
      (local.set $kp (i32.add (local.get $KK) (i32.shl (local.get $o) (i32.const 2))))
      (v128.store (local.get $dx)
        (f32x4.mul
          (f32x4.sub
            (f32x4.sub (local.get $dz) (v128.load offset=32 (local.get $kp)))
            (f32x4.mul
              (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $kp)))
              (v128.load offset=48 (local.get $kp))))
          (v128.load offset=16 (local.get $kp))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $o (select (i32.const 0) (local.get $o) (i32.eq (local.get $o) (local.get $Qb))))
      (br $vec)))
    (global.set $phase (local.get $o)))

  ;; ---------------------------------------------------------------- batch norm: kernels

  ;; Forward. x [M,C] → y = act(γ·(x − mean)·invStd + β) [M,C], mean [C], invStd [C]
  ;; (biased variance). With pooled ≠ 0, x is [N,H,W,C] (M = N·H·W) and pooled receives
  ;; avgpool2(y) [N,H/2,W/2,C]; when a row (W·C floats) is whole vectors, each pair of rows is
  ;; pooled right after it is written, while it is still in cache.
  (func (export "bn_fwd")
    (param $x i32) (param $gamma i32) (param $beta i32)
    (param $y i32) (param $mean i32) (param $invstd i32) (param $pooled i32)
    (param $M i32) (param $C i32) (param $eps f32) (param $act i32) (param $s i32)
    (param $N i32) (param $H i32) (param $W i32)
    (local $Q i32) (local $Qb i32) (local $nv i32) (local $r i32) (local $toff i32) (local $c i32) (local $cb i32)
    (local $j i32) (local $KK i32) (local $D1 i32) (local $D2 i32) (local $T0 i32)
    (local $m f64) (local $d1 f64) (local $var f64) (local $is f64)
    (local.set $Q (call $period (local.get $C)))
    (local.set $Qb (i32.shl (local.get $Q) (i32.const 2)))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $D1 (i32.add (local.get $s) (i32.shl (local.get $Qb) (i32.const 1))))
    (local.set $D2 (i32.add (local.get $s) (i32.shl (local.get $Qb) (i32.const 2))))
    (local.set $T0 (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 10))))
    (call $zero (local.get $s) (i32.mul (local.get $Qb) (i32.const 6)))
    ;; shift = the first row
    (local.set $c (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
      (f32.store (call $kaddr (local.get $KK) (i32.const 0) (local.get $c))
        (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $l)))
    (call $kreplicate (local.get $KK) (i32.const 0) (local.get $C) (local.get $Q))
    (local.set $nv (i32.shr_u (i32.mul (local.get $M) (local.get $C)) (i32.const 2)))
    (local.set $r (i32.and (i32.mul (local.get $M) (local.get $C)) (i32.const 3)))
    (local.set $toff (i32.shl (local.get $nv) (i32.const 4)))
    (global.set $phase (i32.const 0))
    (global.set $cnt (i32.const 0))
    (call $fwd_stats (local.get $x) (local.get $nv) (local.get $s) (local.get $Qb))
    (if (local.get $r)
      (then
        ;; the last r floats, padded with the shift (which adds 0)
        (call $load_pad (i32.add (local.get $x) (local.get $toff)) (local.get $T0) (local.get $r))
        (local.set $j (local.get $r))
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $j) (i32.const 4)))
          (f32.store (i32.add (local.get $T0) (i32.shl (local.get $j) (i32.const 2)))
            (f32.load (call $kaddr (local.get $KK) (i32.const 0)
              (i32.add (i32.shr_u (global.get $phase) (i32.const 2)) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l)))
        (call $fwd_stats (local.get $T0) (i32.const 1) (local.get $s) (local.get $Qb))))
    (call $flush (local.get $s) (local.get $Qb))
    (call $fold (local.get $s) (local.get $Qb) (local.get $C))
    ;; per-channel statistics and coefficients: K0 = mean, K1 = γ·invStd, K2 = β
    (local.set $m (f64.convert_i32_u (local.get $M)))
    (local.set $c (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
      (local.set $d1 (f64.div (f64.load (i32.add (local.get $D1) (i32.shl (local.get $c) (i32.const 3)))) (local.get $m)))
      (local.set $var (f64.sub
        (f64.div (f64.load (i32.add (local.get $D2) (i32.shl (local.get $c) (i32.const 3)))) (local.get $m))
        (f64.mul (local.get $d1) (local.get $d1))))
      (local.set $var (f64.max (local.get $var) (f64.const 0)))
      (local.set $is (f64.div (f64.const 1) (f64.sqrt (f64.add (local.get $var) (f64.promote_f32 (local.get $eps))))))
      (local.set $d1 (f64.add (local.get $d1)
        (f64.promote_f32 (f32.load (call $kaddr (local.get $KK) (i32.const 0) (local.get $c))))))
      (f32.store (i32.add (local.get $mean) (local.get $cb)) (f32.demote_f64 (local.get $d1)))
      (f32.store (i32.add (local.get $invstd) (local.get $cb)) (f32.demote_f64 (local.get $is)))
      (f32.store (call $kaddr (local.get $KK) (i32.const 0) (local.get $c)) (f32.demote_f64 (local.get $d1)))
      (f32.store (call $kaddr (local.get $KK) (i32.const 1) (local.get $c))
        (f32.demote_f64 (f64.mul (local.get $is) (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $cb)))))))
      (f32.store (call $kaddr (local.get $KK) (i32.const 2) (local.get $c))
        (f32.load (i32.add (local.get $beta) (local.get $cb))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $l)))
    (call $kreplicate (local.get $KK) (i32.const 0) (local.get $C) (local.get $Q))
    (call $kreplicate (local.get $KK) (i32.const 1) (local.get $C) (local.get $Q))
    (call $kreplicate (local.get $KK) (i32.const 2) (local.get $C) (local.get $Q))
    (call $emit_y (local.get $x) (local.get $y) (local.get $pooled) (local.get $M) (local.get $C) (local.get $act)
      (local.get $s) (local.get $N) (local.get $H) (local.get $W)))

  ;; y = act((x − K0)·K1 + K2) with the coefficients in scratch set (and with pooled ≠ 0 the
  ;; pooled y, as bn_fwd describes)
  (func $emit_y
    (param $x i32) (param $y i32) (param $pooled i32) (param $M i32) (param $C i32) (param $act i32) (param $s i32)
    (param $N i32) (param $H i32) (param $W i32)
    (local $Qb i32) (local $nv i32) (local $r i32) (local $toff i32) (local $T0 i32)
    (local $rowb i32) (local $prowb i32) (local $n i32) (local $h i32) (local $off i32)
    (local.set $Qb (i32.shl (call $period (local.get $C)) (i32.const 2)))
    (local.set $T0 (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 10))))
    (local.set $nv (i32.shr_u (i32.mul (local.get $M) (local.get $C)) (i32.const 2)))
    (local.set $r (i32.and (i32.mul (local.get $M) (local.get $C)) (i32.const 3)))
    (local.set $toff (i32.shl (local.get $nv) (i32.const 4)))
    (call $init_consts (i32.add (local.get $T0) (i32.const 64)))
    (global.set $phase (i32.const 0))
    (local.set $rowb (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
    (local.set $prowb (i32.shl (i32.mul (i32.shr_u (local.get $W) (i32.const 1)) (local.get $C)) (i32.const 2)))
    (if (i32.and (i32.ne (local.get $pooled) (i32.const 0))
          (i32.eqz (i32.and (local.get $rowb) (i32.const 15))))
      (then
        (block $dn (loop $ln
          (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
          (local.set $h (i32.const 0))
          (block $dh (loop $lh
            (br_if $dh (i32.ge_u (local.get $h) (local.get $H)))
            (local.set $off (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $rowb)))
            (call $fwd_y (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $y) (local.get $off))
              (i32.shr_u (local.get $rowb) (i32.const 4)) (local.get $s) (local.get $Qb) (local.get $act))
            (if (i32.and (local.get $h) (i32.const 1))
              (then (call $pool_rows
                (i32.sub (i32.add (local.get $y) (local.get $off)) (local.get $rowb))
                (i32.add (local.get $y) (local.get $off))
                (i32.add (local.get $pooled) (i32.mul
                  (i32.add (i32.mul (local.get $n) (i32.shr_u (local.get $H) (i32.const 1)))
                    (i32.shr_u (local.get $h) (i32.const 1)))
                  (local.get $prowb)))
                (local.get $W) (local.get $C))))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $lh)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $ln))))
      (else
        (call $fwd_y (local.get $x) (local.get $y) (local.get $nv) (local.get $s) (local.get $Qb) (local.get $act))
        (if (local.get $r) (then
          (call $load_pad (i32.add (local.get $x) (local.get $toff)) (local.get $T0) (local.get $r))
          (call $fwd_y (local.get $T0) (i32.add (local.get $T0) (i32.const 16)) (i32.const 1)
            (local.get $s) (local.get $Qb) (local.get $act))
          (call $copy (i32.add (local.get $T0) (i32.const 16)) (i32.add (local.get $y) (local.get $toff)) (local.get $r))))
        (if (local.get $pooled) (then (call $avgpool2_fwd (local.get $y) (local.get $pooled)
          (local.get $N) (local.get $H) (local.get $W) (local.get $C)))))))

  ;; y = act(x) (with pooled ≠ 0 also avgpool2(y), x then [N,H,W,C]): what follows a
  ;; normalization done elsewhere (tfjs's batchNorm, for --bn builtin); scratch as bn_fwd's
  (func (export "act_fwd")
    (param $x i32) (param $y i32) (param $pooled i32) (param $M i32) (param $C i32) (param $act i32) (param $s i32)
    (param $N i32) (param $H i32) (param $W i32)
    (local $Q i32) (local $KK i32) (local $q i32)
    (local.set $Q (call $period (local.get $C)))
    (local.set $KK (i32.add (local.get $s) (i32.mul (i32.shl (local.get $Q) (i32.const 2)) (i32.const 6))))
    ;; K0 = 0, K1 = 1, K2 = 0
    (call $zero (local.get $KK) (i32.shl (local.get $Q) (i32.const 4)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $q) (local.get $Q)))
      (f32.store (call $kaddr (local.get $KK) (i32.const 1) (local.get $q)) (f32.const 1))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $l)))
    (call $emit_y (local.get $x) (local.get $y) (local.get $pooled) (local.get $M) (local.get $C) (local.get $act)
      (local.get $s) (local.get $N) (local.get $H) (local.get $W)))

  ;; y = act((x − mean)·scale/√(variance + eps) + offset) [M,C] with the statistics given (with
  ;; pooled ≠ 0 also avgpool2(y), x then [N,H,W,C]): tfjs's FusedBatchNorm (tf.batchNorm), which
  ;; --bn builtin calls, and what follows it; scale, offset 0 mean 1 and 0. Scratch as bn_fwd's.
  (func (export "bn_apply")
    (param $x i32) (param $mean i32) (param $variance i32) (param $scale i32) (param $offset i32)
    (param $y i32) (param $pooled i32) (param $M i32) (param $C i32) (param $eps f32) (param $act i32) (param $s i32)
    (param $N i32) (param $H i32) (param $W i32)
    (local $Q i32) (local $KK i32) (local $c i32) (local $cb i32) (local $k f32)
    (local.set $Q (call $period (local.get $C)))
    (local.set $KK (i32.add (local.get $s) (i32.mul (i32.shl (local.get $Q) (i32.const 2)) (i32.const 6))))
    ;; K0 = mean, K1 = scale/√(variance + eps), K2 = offset
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
      (local.set $k (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.load (i32.add (local.get $variance) (local.get $cb))) (local.get $eps)))))
      (if (local.get $scale)
        (then (local.set $k (f32.mul (local.get $k) (f32.load (i32.add (local.get $scale) (local.get $cb)))))))
      (f32.store (call $kaddr (local.get $KK) (i32.const 0) (local.get $c))
        (f32.load (i32.add (local.get $mean) (local.get $cb))))
      (f32.store (call $kaddr (local.get $KK) (i32.const 1) (local.get $c)) (local.get $k))
      (f32.store (call $kaddr (local.get $KK) (i32.const 2) (local.get $c))
        (if (result f32) (local.get $offset)
          (then (f32.load (i32.add (local.get $offset) (local.get $cb))))
          (else (f32.const 0))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $l)))
    (call $kreplicate (local.get $KK) (i32.const 0) (local.get $C) (local.get $Q))
    (call $kreplicate (local.get $KK) (i32.const 1) (local.get $C) (local.get $Q))
    (call $kreplicate (local.get $KK) (i32.const 2) (local.get $C) (local.get $Q))
    (call $emit_y (local.get $x) (local.get $y) (local.get $pooled) (local.get $M) (local.get $C) (local.get $act)
      (local.get $s) (local.get $N) (local.get $H) (local.get $W)))

  ;; Backward. dz = dy·act'(y), x̂ = (x − mean)·invStd, dβ = Σ dz, dγ = Σ dz·x̂,
  ;; dx = γ·invStd·(dz − dβ/M − x̂·dγ/M) (subtracting before scaling: exactly 0 for M = 1).
  ;; With pooled ≠ 0, dy is the gradient of avgpool2(y) ([N,H/2,W/2,C]) and is upsampled on the
  ;; fly, one row at a time (when a row is whole vectors; otherwise into dx first, which the
  ;; last pass then overwrites in place).
  (func (export "bn_bwd")
    (param $dy i32) (param $y i32) (param $x i32) (param $mean i32) (param $invstd i32) (param $gamma i32)
    (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $pooled i32)
    (param $M i32) (param $C i32) (param $act i32) (param $s i32)
    (param $N i32) (param $H i32) (param $W i32)
    (local $Q i32) (local $Qb i32) (local $nv i32) (local $r i32) (local $toff i32) (local $c i32) (local $cb i32)
    (local $KK i32) (local $D1 i32) (local $D2 i32) (local $T0 i32) (local $U i32)
    (local $m f64) (local $db f64) (local $dg f64) (local $is f64) (local $a f64)
    (local $rowwise i32) (local $pass i32)
    (local $rowb i32) (local $prowb i32) (local $n i32) (local $h i32) (local $off i32)
    (local.set $Q (call $period (local.get $C)))
    (local.set $Qb (i32.shl (local.get $Q) (i32.const 2)))
    (local.set $KK (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 6))))
    (local.set $D1 (i32.add (local.get $s) (i32.shl (local.get $Qb) (i32.const 1))))
    (local.set $D2 (i32.add (local.get $s) (i32.shl (local.get $Qb) (i32.const 2))))
    (local.set $T0 (i32.add (local.get $s) (i32.mul (local.get $Qb) (i32.const 10))))
    (local.set $U (i32.add (local.get $T0) (i32.const 384)))
    (call $zero (local.get $s) (i32.mul (local.get $Qb) (i32.const 6)))
    (local.set $c (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
      (f32.store (call $kaddr (local.get $KK) (i32.const 0) (local.get $c))
        (f32.load (i32.add (local.get $mean) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $l)))
    (call $kreplicate (local.get $KK) (i32.const 0) (local.get $C) (local.get $Q))
    (local.set $nv (i32.shr_u (i32.mul (local.get $M) (local.get $C)) (i32.const 2)))
    (local.set $r (i32.and (i32.mul (local.get $M) (local.get $C)) (i32.const 3)))
    (local.set $toff (i32.shl (local.get $nv) (i32.const 4)))
    (local.set $rowb (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
    (local.set $prowb (i32.shl (i32.mul (i32.shr_u (local.get $W) (i32.const 1)) (local.get $C)) (i32.const 2)))
    (local.set $rowwise (i32.and (i32.ne (local.get $pooled) (i32.const 0))
      (i32.eqz (i32.and (local.get $rowb) (i32.const 15)))))
    (if (i32.and (i32.ne (local.get $pooled) (i32.const 0)) (i32.eqz (local.get $rowwise)))
      (then
        (call $avgpool2_bwd (local.get $dy) (local.get $dx) (local.get $N) (local.get $H) (local.get $W) (local.get $C))
        (local.set $dy (local.get $dx))))
    (global.set $cnt (i32.const 0))
    ;; pass 0: the sums; pass 1: dx
    (loop $passes
      (global.set $phase (i32.const 0))
      (if (local.get $rowwise)
        (then
          (local.set $n (i32.const 0))
          (block $dn (loop $ln
            (br_if $dn (i32.ge_u (local.get $n) (local.get $N)))
            (local.set $h (i32.const 0))
            (block $dh (loop $lh
              (br_if $dh (i32.ge_u (local.get $h) (local.get $H)))
              (if (i32.eqz (i32.and (local.get $h) (i32.const 1)))
                (then (if (i32.eq (i32.add (local.get $h) (i32.const 1)) (local.get $H))
                  ;; the odd last row of an odd H has no window
                  (then (call $zero (local.get $U) (local.get $rowb)))
                  (else (call $upsample_row
                    (i32.add (local.get $dy) (i32.mul
                      (i32.add (i32.mul (local.get $n) (i32.shr_u (local.get $H) (i32.const 1)))
                        (i32.shr_u (local.get $h) (i32.const 1)))
                      (local.get $prowb)))
                    (local.get $U) (local.get $W) (local.get $C))))))
              (local.set $off (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $rowb)))
              (if (local.get $pass)
                (then (call $bwd_dx (local.get $U) (i32.add (local.get $y) (local.get $off))
                  (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $dx) (local.get $off))
                  (i32.shr_u (local.get $rowb) (i32.const 4)) (local.get $s) (local.get $Qb) (local.get $act)))
                (else (call $bwd_stats (local.get $U) (i32.add (local.get $y) (local.get $off))
                  (i32.add (local.get $x) (local.get $off))
                  (i32.shr_u (local.get $rowb) (i32.const 4)) (local.get $s) (local.get $Qb) (local.get $act))))
              (local.set $h (i32.add (local.get $h) (i32.const 1)))
              (br $lh)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br $ln))))
        (else
          (if (local.get $pass)
            (then (call $bwd_dx (local.get $dy) (local.get $y) (local.get $x) (local.get $dx)
              (local.get $nv) (local.get $s) (local.get $Qb) (local.get $act)))
            (else (call $bwd_stats (local.get $dy) (local.get $y) (local.get $x)
              (local.get $nv) (local.get $s) (local.get $Qb) (local.get $act))))
          (if (local.get $r)
            (then
              ;; the last r floats, padded with dy = 0 (which adds 0)
              (call $load_pad (i32.add (local.get $dy) (local.get $toff)) (local.get $T0) (local.get $r))
              (call $load_pad (i32.add (local.get $y) (local.get $toff)) (i32.add (local.get $T0) (i32.const 16)) (local.get $r))
              (call $load_pad (i32.add (local.get $x) (local.get $toff)) (i32.add (local.get $T0) (i32.const 32)) (local.get $r))
              (if (local.get $pass)
                (then
                  (call $bwd_dx (local.get $T0) (i32.add (local.get $T0) (i32.const 16)) (i32.add (local.get $T0) (i32.const 32))
                    (i32.add (local.get $T0) (i32.const 48)) (i32.const 1) (local.get $s) (local.get $Qb) (local.get $act))
                  (call $copy (i32.add (local.get $T0) (i32.const 48)) (i32.add (local.get $dx) (local.get $toff)) (local.get $r)))
                (else
                  (call $bwd_stats (local.get $T0) (i32.add (local.get $T0) (i32.const 16)) (i32.add (local.get $T0) (i32.const 32))
                    (i32.const 1) (local.get $s) (local.get $Qb) (local.get $act))))))))
      (if (i32.eqz (local.get $pass))
        (then
          (call $flush (local.get $s) (local.get $Qb))
          (call $fold (local.get $s) (local.get $Qb) (local.get $C))
          ;; dβ, dγ and the coefficients K1 = γs, K2 = dβ/M, K3 = s·dγ/M
          (local.set $m (f64.convert_i32_u (local.get $M)))
          (local.set $c (i32.const 0))
          (block $done (loop $l
            (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
            (local.set $is (f64.promote_f32 (f32.load (i32.add (local.get $invstd) (local.get $cb)))))
            (local.set $db (f64.load (i32.add (local.get $D1) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $dg (f64.mul (local.get $is)
              (f64.load (i32.add (local.get $D2) (i32.shl (local.get $c) (i32.const 3))))))
            (local.set $a (f64.mul (local.get $is)
              (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $cb))))))
            (f32.store (i32.add (local.get $dbeta) (local.get $cb)) (f32.demote_f64 (local.get $db)))
            (f32.store (i32.add (local.get $dgamma) (local.get $cb)) (f32.demote_f64 (local.get $dg)))
            (f32.store (call $kaddr (local.get $KK) (i32.const 1) (local.get $c))
              (f32.demote_f64 (local.get $a)))
            (f32.store (call $kaddr (local.get $KK) (i32.const 2) (local.get $c))
              (f32.demote_f64 (f64.div (local.get $db) (local.get $m))))
            (f32.store (call $kaddr (local.get $KK) (i32.const 3) (local.get $c))
              (f32.demote_f64 (f64.div (f64.mul (local.get $is) (local.get $dg)) (local.get $m))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $l)))
          (call $kreplicate (local.get $KK) (i32.const 1) (local.get $C) (local.get $Q))
          (call $kreplicate (local.get $KK) (i32.const 2) (local.get $C) (local.get $Q))
          (call $kreplicate (local.get $KK) (i32.const 3) (local.get $C) (local.get $Q))
          (local.set $pass (i32.const 1))
          (br $passes)))))

  ;; ---------------------------------------------------------------- SGD
  ;; torch.optim.SGD's step (dampening 0) over n floats of a parameter p with gradient g:
  ;;   d = g + wd·p (wd ≠ 0);  with momentum (b ≠ 0) b' = m·b + d, d = b' (or d + m·b', nesterov)
  ;;   p' = p − lr·d
  ;; to pout (and bout). Every product and sum is its own float32 operation, as tfjs's ops and
  ;; PyTorch's: written as mul and add, never a fused multiply-add, in every build.
  (func (export "sgd")
    (param $p i32) (param $g i32) (param $b i32) (param $pout i32) (param $bout i32) (param $n i32)
    (param $lr f32) (param $m f32) (param $wd f32) (param $nesterov i32)
    (local $i i32) (local $end i32) (local $lrv v128) (local $mv v128) (local $wdv v128)
    (local $pv v128) (local $dv v128) (local $bv v128) (local $pf f32) (local $df f32) (local $bf f32)
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $mv (f32x4.splat (local.get $m)))
    (local.set $wdv (f32x4.splat (local.get $wd)))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $pv (v128.load (local.get $p)))
      (local.set $dv (v128.load (local.get $g)))
      (if (f32.ne (local.get $wd) (f32.const 0))
        (then (local.set $dv (f32x4.add (local.get $dv) (f32x4.mul (local.get $pv) (local.get $wdv))))))
      (if (local.get $b)
        (then
          (local.set $bv (f32x4.add (f32x4.mul (v128.load (local.get $b)) (local.get $mv)) (local.get $dv)))
          (v128.store (local.get $bout) (local.get $bv))
          (local.set $dv (if (result v128) (local.get $nesterov)
            (then (f32x4.add (local.get $dv) (f32x4.mul (local.get $bv) (local.get $mv))))
            (else (local.get $bv))))
          (local.set $b (i32.add (local.get $b) (i32.const 16)))
          (local.set $bout (i32.add (local.get $bout) (i32.const 16)))))
      (v128.store (local.get $pout) (f32x4.sub (local.get $pv) (f32x4.mul (local.get $dv) (local.get $lrv))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $pout (i32.add (local.get $pout) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vectors)))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $pf (f32.load (local.get $p)))
      (local.set $df (f32.load (local.get $g)))
      (if (f32.ne (local.get $wd) (f32.const 0))
        (then (local.set $df (f32.add (local.get $df) (f32.mul (local.get $pf) (local.get $wd))))))
      (if (local.get $b)
        (then
          (local.set $bf (f32.add (f32.mul (f32.load (local.get $b)) (local.get $m)) (local.get $df)))
          (f32.store (local.get $bout) (local.get $bf))
          (local.set $df (if (result f32) (local.get $nesterov)
            (then (f32.add (local.get $df) (f32.mul (local.get $bf) (local.get $m))))
            (else (local.get $bf))))
          (local.set $b (i32.add (local.get $b) (i32.const 4)))
          (local.set $bout (i32.add (local.get $bout) (i32.const 4)))))
      (f32.store (local.get $pout) (f32.sub (local.get $pf) (f32.mul (local.get $df) (local.get $lr))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (local.set $pout (i32.add (local.get $pout) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $floats))))

  ;; ---------------------------------------------------------------- Adam
  ;; torch.optim.Adam's step (and AdamW's, mode 2) over n floats, as optimizers.ts's ops:
  ;;   mode 2: p = p·decay;  mode 1: g = g + wd·p
  ;;   m' = β1·m + (1 − β1)·g;  v' = β2·v + (1 − β2)·g²
  ;;   p' = p − step·m' / (√v' / bc + eps)
  ;; to pout, mout, vout; c1 = 1 − β1, c2 = 1 − β2, step = lr / (1 − β1ᵗ), bc = √(1 − β2ᵗ). Each
  ;; operation rounded on its own (mul and add, never fused), as the ops.
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $pout i32) (param $mout i32) (param $vout i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $eps f32) (param $step f32) (param $bc f32)
    (param $wd f32) (param $decay f32) (param $mode i32)
    (local $i i32) (local $end i32)
    (local $b1v v128) (local $c1v v128) (local $b2v v128) (local $c2v v128) (local $epsv v128) (local $stepv v128) (local $bcv v128)
    (local $wdv v128) (local $decayv v128) (local $pv v128) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $pf f32) (local $gf f32) (local $mf f32) (local $vf f32)
    (local.set $b1v (f32x4.splat (local.get $b1)))
    (local.set $c1v (f32x4.splat (local.get $c1)))
    (local.set $b2v (f32x4.splat (local.get $b2)))
    (local.set $c2v (f32x4.splat (local.get $c2)))
    (local.set $epsv (f32x4.splat (local.get $eps)))
    (local.set $stepv (f32x4.splat (local.get $step)))
    (local.set $bcv (f32x4.splat (local.get $bc)))
    (local.set $wdv (f32x4.splat (local.get $wd)))
    (local.set $decayv (f32x4.splat (local.get $decay)))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $pv (v128.load (local.get $p)))
      (local.set $gv (v128.load (local.get $g)))
      (if (i32.eq (local.get $mode) (i32.const 2))
        (then (local.set $pv (f32x4.mul (local.get $pv) (local.get $decayv)))))
      (if (i32.eq (local.get $mode) (i32.const 1))
        (then (local.set $gv (f32x4.add (local.get $gv) (f32x4.mul (local.get $pv) (local.get $wdv))))))
      (local.set $mv (f32x4.add (f32x4.mul (v128.load (local.get $m)) (local.get $b1v)) (f32x4.mul (local.get $gv) (local.get $c1v))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (local.get $v)) (local.get $b2v)) (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $c2v))))
      (v128.store (local.get $mout) (local.get $mv))
      (v128.store (local.get $vout) (local.get $vv))
      (v128.store (local.get $pout) (f32x4.sub (local.get $pv)
        (f32x4.mul (f32x4.div (local.get $mv) (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $bcv)) (local.get $epsv))) (local.get $stepv))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $m (i32.add (local.get $m) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (local.set $pout (i32.add (local.get $pout) (i32.const 16)))
      (local.set $mout (i32.add (local.get $mout) (i32.const 16)))
      (local.set $vout (i32.add (local.get $vout) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vectors)))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $pf (f32.load (local.get $p)))
      (local.set $gf (f32.load (local.get $g)))
      (if (i32.eq (local.get $mode) (i32.const 2))
        (then (local.set $pf (f32.mul (local.get $pf) (local.get $decay)))))
      (if (i32.eq (local.get $mode) (i32.const 1))
        (then (local.set $gf (f32.add (local.get $gf) (f32.mul (local.get $pf) (local.get $wd))))))
      (local.set $mf (f32.add (f32.mul (f32.load (local.get $m)) (local.get $b1)) (f32.mul (local.get $gf) (local.get $c1))))
      (local.set $vf (f32.add (f32.mul (f32.load (local.get $v)) (local.get $b2)) (f32.mul (f32.mul (local.get $gf) (local.get $gf)) (local.get $c2))))
      (f32.store (local.get $mout) (local.get $mf))
      (f32.store (local.get $vout) (local.get $vf))
      (f32.store (local.get $pout) (f32.sub (local.get $pf)
        (f32.mul (f32.div (local.get $mf) (f32.add (f32.div (f32.sqrt (local.get $vf)) (local.get $bc)) (local.get $eps))) (local.get $step))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (local.set $m (i32.add (local.get $m) (i32.const 4)))
      (local.set $v (i32.add (local.get $v) (i32.const 4)))
      (local.set $pout (i32.add (local.get $pout) (i32.const 4)))
      (local.set $mout (i32.add (local.get $mout) (i32.const 4)))
      (local.set $vout (i32.add (local.get $vout) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $floats))))
)
