// One (sequence, head) of scaled dot-product attention, written once over the vector
// vocabulary (simd_avx2.h / simd_avx512.h); included after rowops_tmpl.h (k_softmax_row).
// Semantics: lb_attention_head in CLowBitKernels.h. Every sum runs in a fixed order that
// depends only on (nq, nk, d), never on threads:
//   score[i, j] = fma chain over t ascending of q[i, t] · k[j, t] (nq ≥ ATT_R: one lane per key,
//                 K transposed into scratch; nq < ATT_R (decoding): lanes over t, then lb_hsum);
//   p = softmax row (k_softmax_row, the scale applied there);
//   out[i, :] = fma chain over j ascending of p[i, j] · v[j, :].
// The query rows go ATT_R at a time so each loaded key or value vector feeds ATT_R FMAs; the
// score rows of a block stay in L1 between the two products.

#define ATT_R 4

/// Scores of ATT_R query rows (pointers q0..q3, duplicates past the block's end) against the
/// transposed keys kt [d, nkp] into s [ATT_R, nkp].
LB_TARGET static void k_att_scores_block(size_t nkp, size_t d, const float *const qr[ATT_R],
                                         const float *kt, float *s) {
    for (size_t j = 0; j < nkp; j += 2 * LB_VL) {
        lb_v a[ATT_R][2];
        for (int r = 0; r < ATT_R; ++r) a[r][0] = a[r][1] = V_ZERO();
        for (size_t t = 0; t < d; ++t) {
            const lb_v k0 = V_LOAD(kt + t * nkp + j), k1 = V_LOAD(kt + t * nkp + j + LB_VL);
            for (int r = 0; r < ATT_R; ++r) {
                const lb_v qb = V_SET1(qr[r][t]);
                a[r][0] = V_FMA(qb, k0, a[r][0]);
                a[r][1] = V_FMA(qb, k1, a[r][1]);
            }
        }
        for (int r = 0; r < ATT_R; ++r) {
            V_STORE(s + r * nkp + j, a[r][0]);
            V_STORE(s + r * nkp + j + LB_VL, a[r][1]);
        }
    }
}

/// out rows (pointers o[r], rows < `rows` written) = p rows (s [ATT_R, nkp]) · v [nk, d] (ldv).
LB_TARGET static void k_att_values_block(size_t rows, size_t nk, size_t nkp, size_t d, const float *s,
                                         const float *v, size_t ldv, float *const o[ATT_R]) {
    for (size_t c = 0; c < d; c += 2 * LB_VL) {
        const size_t rem0 = d - c < LB_VL ? d - c : LB_VL;
        const size_t rem1 = d - c > LB_VL ? (d - c - LB_VL < LB_VL ? d - c - LB_VL : LB_VL) : 0;
        const lb_tail t0 = T_FIRST((int)rem0), t1 = T_FIRST(rem1 ? (int)rem1 : 1);
        lb_v a[ATT_R][2];
        for (int r = 0; r < ATT_R; ++r) a[r][0] = a[r][1] = V_ZERO();
        for (size_t j = 0; j < nk; ++j) {
            const float *vj = v + j * ldv + c;
            const lb_v v0 = V_LOADT(vj, t0), v1 = rem1 ? V_LOADT(vj + LB_VL, t1) : V_ZERO();
            for (int r = 0; r < ATT_R; ++r) {
                const lb_v p = V_SET1(s[r * nkp + j]);
                a[r][0] = V_FMA(p, v0, a[r][0]);
                a[r][1] = V_FMA(p, v1, a[r][1]);
            }
        }
        for (size_t r = 0; r < rows; ++r) {
            V_STORET(o[r] + c, t0, a[r][0]);
            if (rem1) V_STORET(o[r] + c + LB_VL, t1, a[r][1]);
        }
    }
}

/// Σ_t a[t]·b[t] over d elements: lanes over t, then lb_hsum (the decode form of a score).
LB_TARGET static float k_att_dot(size_t d, const float *a, const float *b) {
    lb_v acc = V_ZERO();
    for (size_t t = 0; t < d; t += LB_VL) {
        const size_t rem = d - t < LB_VL ? d - t : LB_VL;
        const lb_tail tl = T_FIRST((int)rem);
        acc = V_FMA(V_LOADT(a + t, tl), V_LOADT(b + t, tl), acc);
    }
    return lb_hsum(acc);
}

LB_TARGET static void k_attention_head(size_t nq, size_t nk, size_t d, const float *q, size_t ldq,
                                       const float *k, const float *v, size_t ldkv, float *out,
                                       size_t ldo, float scale, ptrdiff_t causal_valid0,
                                       float *scratch) {
    const size_t nkp = lb_attention_padded_keys(nk);
    float *kt = scratch, *s = scratch + d * nkp;
    const int transposed = nq >= ATT_R;
    if (transposed) {
        for (size_t t = 0; t < d; ++t) {
            float *row = kt + t * nkp;
            for (size_t j = 0; j < nk; ++j) row[j] = k[j * ldkv + t];
            for (size_t j = nk; j < nkp; ++j) row[j] = 0.0f;
        }
    }
    for (size_t i0 = 0; i0 < nq; i0 += ATT_R) {
        const size_t rows = nq - i0 < ATT_R ? nq - i0 : ATT_R;
        const float *qr[ATT_R];
        float *o[ATT_R];
        for (size_t r = 0; r < ATT_R; ++r) {
            const size_t i = i0 + (r < rows ? r : rows - 1);
            qr[r] = q + i * ldq;
            o[r] = out + i * ldo;
        }
        if (transposed) {
            k_att_scores_block(nkp, d, qr, kt, s);
        } else {
            // Only the block's own rows; the others are zeros the value pass multiplies harmlessly.
            for (size_t r = 0; r < ATT_R; ++r)
                for (size_t j = 0; j < nkp; ++j)
                    s[r * nkp + j] = r < rows && j < nk ? k_att_dot(d, qr[r], k + j * ldkv) : 0.0f;
        }
        for (size_t r = 0; r < rows; ++r) {
            const size_t i = i0 + r;
            size_t valid = nk;
            if (causal_valid0 >= 0) {
                const ptrdiff_t vv = causal_valid0 + (ptrdiff_t)i;
                valid = vv < 0 ? 0 : ((size_t)vv < nk ? (size_t)vv : nk);
            }
            k_softmax_row(nk, valid, s + r * nkp, s + r * nkp, scale, NULL);
        }
        k_att_values_block(rows, nk, nkp, d, s, v, ldkv, o);
    }
}
