/* Fast decoder of VCF text records into the arrays of goe.vcf.reader.RecordBatch.
 *
 * goe.vcf.fastread hands it decompressed BGZF text; it fills POS, QUAL, the
 * wanted INFO values, GT (first two alleles), GQ, DP and the AD of the GT
 * alleles with exactly the values the cyvcf2 path produces (tests compare the
 * two on every test VCF). Anything unusual raises ValueError, and the caller
 * reads the region with htslib instead, which gives the canonical behaviour.
 *
 * Optionally it applies goe freq's genotype mask (GQ, DP, allele balance) as it
 * reads, exactly as goe.freq.genotypes.apply_mask does on the arrays, so the
 * FORMAT arrays need not be built at all.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { F_CHROM, F_ID = 1, F_REF = 2, F_ALT = 3, F_FILTER = 4, N_SPANS = 5 };
#define MAX_INFO 32

typedef struct {
    const char *p;
    Py_ssize_t n;
} span_t;

typedef struct {
    /* outputs */
    int64_t *pos;
    double *qual;
    int16_t *gt;
    int32_t *gq, *dp, *ad, *adref;
    double *info;
    Py_ssize_t cap, n_out, n_cols;
    const int32_t *col_map;
    Py_ssize_t last_kept_col;
    /* wanted INFO keys */
    int n_info;
    const char *info_key[MAX_INFO];
    Py_ssize_t info_len[MAX_INFO];
    int info_float[MAX_INFO];
    /* scratch per line: AD field of each kept sample */
    const char **ad_p;
    Py_ssize_t *ad_n;
    /* the genotype mask: per check (GQ, DP, AB) an operator (0 = off) and bounds; counts by reason */
    int mask_on, m_op[3];
    double m_lo[3], m_hi[3];
    int64_t i_lo[2], i_hi[2];  /* GQ and DP are integers: each check as "passes iff (lo <= v <= hi) != inv" */
    int i_inv[2];
    int32_t *m_gq, *m_dp, *m_ad;  /* one line's values when the batch arrays are not wanted */
    int32_t *m_fail;  /* one line's samples that fail the mask */
    int64_t *m_count;  /* masked by GQ, DP, AB, in all */
    char err[256];
} ctx_t;

enum { OP_OFF, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_BETWEEN };

static inline int passes(int op, double lo, double hi, double v) {
    switch (op) {
    case OP_LT: return v < lo;
    case OP_LE: return v <= lo;
    case OP_GT: return v > lo;
    case OP_GE: return v >= lo;
    case OP_EQ: return v == lo;
    case OP_NE: return v != lo;
    case OP_BETWEEN: return v >= lo && v <= hi;
    default: return 1;
    }
}

/* An operator on a double threshold, for integer values, as the range [*lo, *hi] that passes (or, with
 * *inv, the range that fails): the same decisions as passes() for every integer. */
static void int_range(int op, double lo, double hi, int64_t *ilo, int64_t *ihi, int *inv) {
    const double big = 1e15;
    lo = lo < -big ? -big : (lo > big ? big : lo);
    hi = hi < -big ? -big : (hi > big ? big : hi);
    *ilo = -(int64_t)1 << 50; *ihi = (int64_t)1 << 50; *inv = 0;
    switch (op) {
    case OP_LT: *ihi = (int64_t)ceil(lo) - 1; break;
    case OP_LE: *ihi = (int64_t)floor(lo); break;
    case OP_GT: *ilo = (int64_t)floor(lo) + 1; break;
    case OP_GE: *ilo = (int64_t)ceil(lo); break;
    case OP_EQ: *ilo = (int64_t)ceil(lo); *ihi = (int64_t)floor(lo); break;  /* empty unless integral */
    case OP_NE: *ilo = (int64_t)ceil(lo); *ihi = (int64_t)floor(lo); *inv = 1; break;
    case OP_BETWEEN: *ilo = (int64_t)ceil(lo); *ihi = (int64_t)floor(hi); break;
    default: break;
    }
}

/* goe.freq.genotypes.apply_mask on one line: a called genotype fails on GQ or DP (present and not
 * passing), or, heterozygous, on the allele balance of its two alleles' AD; its called alleles
 * become missing. */
static void mask_line(ctx_t *c, int16_t *gt, const int32_t *gq, const int32_t *dp, const int32_t *ad) {
    int64_t *k = c->m_count;
    for (Py_ssize_t o = 0; o < c->n_out; o++) {
        int a0 = gt[2 * o], a1 = gt[2 * o + 1];
        if (a0 < 0 && a1 < 0) continue;
        int fail = 0;
        if (c->m_op[0] && gq[o] >= 0 && ((gq[o] >= c->i_lo[0]) & (gq[o] <= c->i_hi[0])) == c->i_inv[0]) {
            k[0]++;
            fail = 1;
        }
        if (c->m_op[1] && dp[o] >= 0 && ((dp[o] >= c->i_lo[1]) & (dp[o] <= c->i_hi[1])) == c->i_inv[1]) {
            k[1]++;
            fail = 1;
        }
        if (c->m_op[2] && a0 >= 0 && a1 >= 0 && a0 != a1) {
            double d0 = (double)ad[2 * o], d1 = (double)ad[2 * o + 1], total = d0 + d1;
            if (d0 >= 0 && d1 >= 0 && total > 0) {
                double ab = (a1 > a0 ? d1 : d0) / total;
                if (!passes(c->m_op[2], c->m_lo[2], c->m_hi[2], ab)) { k[2]++; fail = 1; }
            }
        }
        if (fail) {
            k[3]++;
            if (a0 >= 0) gt[2 * o] = -1;
            if (a1 >= 0) gt[2 * o + 1] = -1;
        }
    }
}


/* Sequential scanners: parse a subfield where it lies and return the pointer to its end
 * (':' '\t' ',' or e), or NULL when it is malformed. An integer subfield as htslib/cyvcf2
 * give it: "." (or empty) -> -1, else truncated toward zero; -1 also for htslib's end sentinel. */
static inline int is_sep(char c) { return c == ':' || c == '\t' || c == ','; }

static inline const char *scan_int(const char *x, const char *e, int32_t *out) {
    if (e - x >= 4) {  /* one to three digits then a separator, the values of DP, GQ and AD */
        unsigned d0 = (unsigned char)x[0] - '0', d1 = (unsigned char)x[1] - '0';
        if (d0 < 10) {
            if (d1 >= 10) {
                if (is_sep(x[1])) { *out = (int32_t)d0; return x + 1; }
            } else {
                unsigned d2 = (unsigned char)x[2] - '0';
                if (d2 >= 10) {
                    if (is_sep(x[2])) { *out = (int32_t)(d0 * 10 + d1); return x + 2; }
                } else if (is_sep(x[3])) {
                    *out = (int32_t)(d0 * 100 + d1 * 10 + d2);
                    return x + 3;
                }
            }
        }
    }
    if (x < e) {  /* a few digits, then a separator */
        unsigned d = (unsigned char)*x - '0';
        if (d < 10) {
            const char *y = x + 1;
            int32_t v = (int32_t)d;
            int k = 1;
            while (y < e && k < 9 && (d = (unsigned char)*y - '0') < 10) { v = v * 10 + (int32_t)d; y++; k++; }
            if (y == e || is_sep(*y)) { *out = v; return y; }
        }
    }
    if (x == e || is_sep(*x)) { *out = -1; return x; }
    if (*x == '.' && (x + 1 == e || is_sep(x[1]))) { *out = -1; return x + 1; }
    int neg = 0;
    if (*x == '-' || *x == '+') { neg = *x == '-'; x++; }
    if (x == e || *x < '0' || *x > '9') return NULL;
    int64_t v = 0;
    while (x < e && *x >= '0' && *x <= '9') {
        v = v * 10 + (*x - '0');
        if (v > 2147483647LL) return NULL;
        x++;
    }
    if (x < e && *x == '.') {  /* a Float-typed field: cyvcf2's astype(int32) truncates */
        x++;
        while (x < e && *x >= '0' && *x <= '9') x++;
    }
    if (x < e && !is_sep(*x)) return NULL;
    int32_t r = (int32_t)(neg ? -v : v);
    *out = r == INT32_MIN + 1 ? -1 : r;
    return x;
}

/* A whole integer field [s, e), as scan_int reads one. */
static int parse_int_field(const char *s, const char *e, int32_t *out) {
    return scan_int(s, e, out) == e ? 0 : -1;
}

/* The i-th comma-separated value of an AD field; -1 when missing or absent. */
static int32_t ad_value(const char *s, Py_ssize_t n, Py_ssize_t i) {
    const char *e = s + n, *q = s;
    for (Py_ssize_t k = 0; k < i; k++) {
        const char *c = memchr(q, ',', (size_t)(e - q));
        if (!c) return -1;
        q = c + 1;
    }
    const char *c = memchr(q, ',', (size_t)(e - q));
    int32_t v;
    if (parse_int_field(q, c ? c : e, &v) < 0) return -1;
    return v < 0 ? -1 : v;
}

static Py_ssize_t count_values(const char *s, Py_ssize_t n) {
    Py_ssize_t k = 1;
    for (Py_ssize_t i = 0; i < n; i++) k += s[i] == ',';
    return k;
}

/* The end of a sample subfield: the next ':' or tab (or e), eight bytes at a time. */
static inline const char *skip_field(const char *x, const char *e) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (e - x >= 8) {
        uint64_t w, t, k;
        memcpy(&w, x, 8);
        t = w ^ (ones * '\t');
        k = w ^ (ones * ':');
        /* a zero byte in t or k: the lowest flagged byte is the first match (little-endian) */
        uint64_t z = ((t - ones) & ~t & highs) | ((k - ones) & ~k & highs);
        if (z) return x + (__builtin_ctzll(z) >> 3);
        x += 8;
    }
#endif
    while (x < e && *x != ':' && *x != '\t') x++;
    return x;
}

static inline int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* GT: the first two alleles into *a0, *a1 (-1 missing, -2 absent). Kept in two ints, not an array:
 * two 16-bit stores read back as one 32-bit load stall the store buffer (seen: 40% of decode time). */
static inline const char *scan_gt(const char *x, const char *e, int *a0, int *a1) {
    /* the usual call, one-digit alleles "0/1" or "1|0", in one step */
    if (e - x >= 3 && is_digit(x[0]) && (x[1] == '/' || x[1] == '|') && is_digit(x[2]) &&
        (e - x == 3 || x[3] == ':' || x[3] == '\t')) {
        *a0 = x[0] - '0';
        *a1 = x[2] - '0';
        return x + 3;
    }
    *a0 = -1; *a1 = -2;
    if (x == e || *x == ':' || *x == '\t') return x;  /* empty GT: one missing allele */
    int na = 0;
    for (;;) {
        int v;
        if (x < e && *x == '.') { v = -1; x++; }
        else if (x < e && *x >= '0' && *x <= '9') {
            v = 0;
            while (x < e && *x >= '0' && *x <= '9') { v = v * 10 + (*x - '0'); if (v > 32000) return NULL; x++; }
        } else return NULL;
        if (na == 0) *a0 = v;
        else if (na == 1) *a1 = v;
        else return NULL;  /* a third allele: the htslib reader takes the record and refuses it */
        na++;
        if (x < e && (*x == '/' || *x == '|')) { x++; continue; }
        break;
    }
    return (x < e && *x != ':' && *x != '\t') ? NULL : x;
}

/* AD values: the first, those at the two GT alleles, and how many there are. */
static inline const char *scan_ad(const char *x, const char *e, int a0, int a1, int32_t *v) {
    Py_ssize_t i = 0;
    v[0] = v[1] = v[2] = -1;
    for (;;) {
        int32_t val;
        x = scan_int(x, e, &val);
        if (!x) return NULL;
        if (val < 0) val = -1;
        if (i == 0) v[0] = val;
        if (i == a0) v[1] = val;
        if (i == a1) v[2] = val;
        i++;
        if (x < e && *x == ',') { x++; continue; }
        break;
    }
    v[3] = (int32_t)i;
    return x;
}

static double parse_float32(const char *s, const char *e, int *ok) {
    char tmp[64];
    Py_ssize_t n = e - s;
    *ok = 1;
    if (n == 0 || (n == 1 && *s == '.')) return NAN;
    if (n >= (Py_ssize_t)sizeof(tmp)) { *ok = 0; return NAN; }
    memcpy(tmp, s, (size_t)n);
    tmp[n] = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + n) { *ok = 0; return NAN; }
    return (double)(float)v;  /* htslib stores QUAL and Float INFO as float32 */
}

static double parse_info_value(const char *s, const char *e, int is_float) {
    const char *c = memchr(s, ',', (size_t)(e - s));
    if (c) e = c;
    if (s == e || (e - s == 1 && *s == '.')) return NAN;
    int ok;
    if (is_float) {
        double v = parse_float32(s, e, &ok);
        return ok ? v : NAN;
    }
    int32_t v;
    if (parse_int_field(s, e, &v) < 0) return NAN;
    return (double)v;
}

static void parse_info(ctx_t *c, const char *s, const char *e, Py_ssize_t r) {
    for (int k = 0; k < c->n_info; k++) c->info[r * c->n_info + k] = NAN;
    if (e - s == 1 && *s == '.') return;
    const char *q = s;
    while (q < e) {
        const char *semi = memchr(q, ';', (size_t)(e - q));
        const char *end = semi ? semi : e;
        const char *eq = memchr(q, '=', (size_t)(end - q));
        Py_ssize_t klen = (eq ? eq : end) - q;
        for (int k = 0; k < c->n_info; k++) {
            if (klen == c->info_len[k] && memcmp(q, c->info_key[k], (size_t)klen) == 0) {
                if (eq) c->info[r * c->n_info + k] = parse_info_value(eq + 1, end, c->info_float[k]);
                break;
            }
        }
        q = end + 1;
    }
}

/* Parse one line [s, e) (no newline) as record r. */
static int parse_line(ctx_t *c, const char *s, const char *e, Py_ssize_t r, span_t *spans) {
    const char *col[9];
    const char *q = s;
    for (int i = 0; i < 9; i++) {
        const char *t = memchr(q, '\t', (size_t)(e - q));
        if (!t) { snprintf(c->err, sizeof c->err, "line has %d columns", i + 1); return -1; }
        col[i] = q;
        q = t + 1;
    }
    /* col[i] starts column i; column i ends at col[i+1]-1; samples start at q */
    spans[F_ID] = (span_t){col[2], col[3] - col[2] - 1};
    spans[F_REF] = (span_t){col[3], col[4] - col[3] - 1};
    spans[F_ALT] = (span_t){col[4], col[5] - col[4] - 1};
    spans[F_FILTER] = (span_t){col[6], col[7] - col[6] - 1};
    int ok;
    c->qual[r] = parse_float32(col[5], col[6] - 1, &ok);
    if (!ok) { snprintf(c->err, sizeof c->err, "bad QUAL"); return -1; }
    if (c->n_info) parse_info(c, col[7], col[8] - 1, r);
    /* FORMAT keys */
    int gt_i = -1, dp_i = -1, gq_i = -1, ad_i = -1, nkeys = 0;
    const char *f = col[8], *fe = q - 1;
    while (f <= fe) {
        const char *colon = memchr(f, ':', (size_t)(fe - f));
        const char *ke = colon ? colon : fe;
        Py_ssize_t n = ke - f;
        if (n == 2 && f[0] == 'G' && f[1] == 'T') gt_i = nkeys;
        else if (n == 2 && f[0] == 'D' && f[1] == 'P') dp_i = (c->dp || c->m_dp) ? nkeys : -1;
        else if (n == 2 && f[0] == 'G' && f[1] == 'Q') gq_i = (c->gq || c->m_gq) ? nkeys : -1;
        else if (n == 2 && f[0] == 'A' && f[1] == 'D') ad_i = (c->ad || c->adref || c->m_ad) ? nkeys : -1;
        nkeys++;
        f = ke + 1;
    }
    if (gt_i < 0) { snprintf(c->err, sizeof c->err, "no GT in FORMAT"); return -1; }
    int max_i = gt_i;
    if (dp_i > max_i) max_i = dp_i;
    if (gq_i > max_i) max_i = gq_i;
    if (ad_i > max_i) max_i = ad_i;
    Py_ssize_t n_out = c->n_out;
    int16_t *gt = c->gt + r * n_out * 2;
    int32_t *gq = c->gq ? c->gq + r * n_out : c->m_gq;
    int32_t *dp = c->dp ? c->dp + r * n_out : c->m_dp;
    Py_ssize_t ad_width = 0;
    int need_fix = 0;
    int32_t *ad = c->ad ? c->ad + r * n_out * 2 : c->m_ad;
    int lazy_ad = !c->ad && !c->adref && c->m_ad;
    int64_t n_mask[3] = {0, 0, 0};
    Py_ssize_t n_fail = 0;
    int32_t *adref = c->adref ? c->adref + r * n_out : NULL;
    if (c->last_kept_col < 0) return 0;
    Py_ssize_t ncol = 0;
    const char *p = q;
    /* GT-only lines: one-digit diploid calls "d/d\t" (or "d|d\t") are read four bytes at a time,
     * both alleles stored with one write; any other sample (missing, haploid, multi-digit) and the
     * last kept column take the general path, then the fast one resumes. No mask check can fail
     * here: GQ, DP and AD are absent. */
    const int gt_only = nkeys == 1 && !c->gq && !c->dp && !c->ad && !c->adref;
    for (;; ncol++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (gt_only) {
            const int32_t *cm = c->col_map;
            while (ncol < c->last_kept_col && e - p >= 4) {
                uint32_t w;
                memcpy(&w, p, 4);
                uint32_t t = w & 0x00FF00FFu;  /* the two allele bytes, one per 16-bit lane */
                uint32_t sep = (w >> 8) & 0xFFu;
                if (((t + 0x7FD07FD0u) & ~(t + 0x7FC67FC6u) & 0x80008000u) != 0x80008000u ||
                    (sep != '/' && sep != '|') || (w >> 24) != '\t')
                    break;
                int32_t o = cm[ncol];
                if (o >= 0) {
                    uint32_t pair = t - 0x00300030u;  /* lane 0: first allele, lane 1: second */
                    memcpy(gt + 2 * o, &pair, 4);
                }
                p += 4;
                ncol++;
            }
        }
#endif
        int32_t o = c->col_map[ncol];
        const char *x = p;
        if (o >= 0) {
            /* one pass over the sample's subfields, each parsed where it lies */
            int32_t dpv = -1, gqv = -1, adv[4] = {-1, -1, -1, 0};
            const char *adp = NULL;
            Py_ssize_t adn = 0;
            int a0 = -1, a1 = -2;
            int got_gt = 0;
            for (int k = 0;; k++) {
                if (k == gt_i) {
                    x = scan_gt(x, e, &a0, &a1);
                    got_gt = 1;
                } else if (k == dp_i) {
                    x = scan_int(x, e, &dpv);
                } else if (k == gq_i) {
                    x = scan_int(x, e, &gqv);
                } else if (k == ad_i) {
                    adp = x;
                    if (lazy_ad && got_gt && !(a0 >= 0 && a1 >= 0 && a0 != a1)) {
                        /* only the mask reads AD, and only for heterozygous calls: skip it */
                        x = skip_field(x, e);
                        adn = x - adp;
                        adv[3] = -2;
                        goto next;
                    }
                    x = got_gt ? scan_ad(x, e, a0, a1, adv) : NULL;
                    if (!x) {  /* AD before GT in FORMAT, or odd values: read it again at the end */
                        x = adp;
                        x = skip_field(x, e);
                        adv[3] = -1;
                    }
                    adn = x - adp;
                } else {
                    x = skip_field(x, e);
                }
            next:
                if (!x || (x < e && *x != ':' && *x != '\t')) {
                    snprintf(c->err, sizeof c->err, "bad sample field");
                    return -1;
                }
                if (x == e || *x == '\t') break;
                x++;
                if (k == max_i) {  /* the rest of this sample is not wanted */
                    const char *t = memchr(x, '\t', (size_t)(e - x));
                    x = t ? t : e;
                    break;
                }
            }
            if (!got_gt) { snprintf(c->err, sizeof c->err, "sample without GT"); return -1; }
            gt[o * 2] = (int16_t)a0;
            gt[o * 2 + 1] = (int16_t)a1;
            if (gq) gq[o] = gqv;
            if (dp) dp[o] = dpv;
            int32_t p0 = -1, p1 = -1;
            if (ad || adref) {
                c->ad_p[o] = adp;
                c->ad_n[o] = adn;
                if (adv[3] == -2) goto sample_done;  /* AD skipped: the mask will not read it */
                int32_t v0 = -1;
                if (adp && adv[3] >= 0) {  /* read inline: exact unless an allele lies past this AD */
                    Py_ssize_t nv = adv[3];
                    if (a0 >= 0) { if (a0 < nv) p0 = adv[1]; else need_fix = 1; }
                    if (a1 >= 0) { if (a1 < nv) p1 = adv[2]; else need_fix = 1; }
                    v0 = adv[0];
                } else if (adp && adv[3] == -1) {
                    need_fix = 1;
                }
                if (ad) { ad[o * 2] = p0; ad[o * 2 + 1] = p1; }
                if (adref) adref[o] = v0;
            }
        sample_done:
            if (c->mask_on && (a0 >= 0 || a1 >= 0)) {  /* the mask, decided while the values are at hand */
                int fail = 0;
                if (c->m_op[0] && gqv >= 0 && ((gqv >= c->i_lo[0]) & (gqv <= c->i_hi[0])) == c->i_inv[0]) {
                    n_mask[0]++;
                    fail = 1;
                }
                if (c->m_op[1] && dpv >= 0 && ((dpv >= c->i_lo[1]) & (dpv <= c->i_hi[1])) == c->i_inv[1]) {
                    n_mask[1]++;
                    fail = 1;
                }
                if (c->m_op[2] && a0 >= 0 && a1 >= 0 && a0 != a1 && p0 >= 0 && p1 >= 0 && p0 + p1 > 0) {
                    /* (a missing AD value passes; a line that needs AD fixed is decided again below) */
                    double ab = (double)(a1 > a0 ? p1 : p0) / ((double)p0 + (double)p1);
                    if (!passes(c->m_op[2], c->m_lo[2], c->m_hi[2], ab)) { n_mask[2]++; fail = 1; }
                }
                if (fail) c->m_fail[n_fail++] = o;
            }
        } else {
            const char *t = memchr(x, '\t', (size_t)(e - x));
            x = t ? t : e;
        }
        if (ncol == c->last_kept_col && ncol < c->n_cols - 1) { ncol = c->n_cols; break; }  /* rest unwanted */
        if (x == e) { ncol++; break; }
        if (ncol + 1 >= c->n_cols) { ncol = c->n_cols + 1; break; }  /* too many columns */
        p = x + 1;
    }
    if (ncol != c->n_cols) { snprintf(c->err, sizeof c->err, "wrong number of sample columns"); return -1; }
    if (need_fix) {  /* rare: AD before GT, or an allele past a sample's AD (cyvcf2 pads, and clips past the widest) */
        for (Py_ssize_t o = 0; o < n_out; o++) {
            if (!c->ad_p[o]) continue;
            Py_ssize_t nv = count_values(c->ad_p[o], c->ad_n[o]);
            if (nv > ad_width) ad_width = nv;
        }
        for (Py_ssize_t o = 0; o < n_out; o++) {
            const char *adp = c->ad_p[o];
            if (!adp) continue;
            if (ad) {
                for (int k = 0; k < 2; k++) {
                    int16_t g = gt[o * 2 + k];
                    ad[o * 2 + k] = g >= 0 ? ad_value(adp, c->ad_n[o], g < ad_width ? g : ad_width - 1) : -1;
                }
            }
            if (adref) adref[o] = ad_value(adp, c->ad_n[o], 0);
        }
    }
    if (c->mask_on) {
        if (need_fix) {  /* AD was not all read inline: decide the whole line again on the fixed values */
            mask_line(c, gt, gq, dp, ad);
        } else {
            for (int k = 0; k < 3; k++) c->m_count[k] += n_mask[k];
            c->m_count[3] += n_fail;
            for (Py_ssize_t i = 0; i < n_fail; i++) {
                int32_t o = c->m_fail[i];
                if (gt[2 * o] >= 0) gt[2 * o] = -1;
                if (gt[2 * o + 1] >= 0) gt[2 * o + 1] = -1;
            }
        }
    }
    return 0;
}

static PyObject *span_str(span_t s) { return PyUnicode_DecodeUTF8(s.p, s.n, "strict"); }

static PyObject *alt_list(span_t s) {
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    if (s.n == 1 && s.p[0] == '.') return out;
    const char *q = s.p, *e = s.p + s.n;
    while (q <= e) {
        const char *c = memchr(q, ',', (size_t)(e - q));
        const char *ae = c ? c : e;
        PyObject *a = PyUnicode_DecodeUTF8(q, ae - q, "strict");
        if (!a || PyList_Append(out, a) < 0) { Py_XDECREF(a); Py_DECREF(out); return NULL; }
        Py_DECREF(a);
        if (!c) break;
        q = c + 1;
    }
    return out;
}

static int get_out(PyObject *o, Py_buffer *v, Py_ssize_t need, const char *name) {
    v->obj = NULL;
    if (o == Py_None) return 0;
    if (PyObject_GetBuffer(o, v, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (v->len < need) { PyErr_Format(PyExc_ValueError, "%s buffer too small", name); return -1; }
    return 0;
}

/* parse(buf, offset, final, first, contig, start, end, col_map, n_out, cap, pos, qual, gt, gq, dp, ad, adref,
 *       info_keys, info_float, info, mask, mask_count)
 * -> (n_records, offset, status, ids, refs, alts, filters); status 0 = needs more text,
 *    1 = cap records read, 2 = the region ended (later POS, other contig, or end of data).
 * mask: None, or 9 numbers (operator, low, high for GQ, DP and AB; operator 0 = off); mask_count:
 * int64[4] to which the genotypes masked by GQ, DP, AB and in all are added. */
static PyObject *parse(PyObject *self, PyObject *args) {
    Py_buffer buf, cmap;
    Py_ssize_t offset, n_out, cap;
    int final, first;
    const char *contig;
    Py_ssize_t contig_len;
    long long start, end;
    PyObject *o_pos, *o_qual, *o_gt, *o_gq, *o_dp, *o_ad, *o_adref, *keys, *floats, *o_info, *o_mask, *o_mcount;
    if (!PyArg_ParseTuple(args, "y*nppy#LLy*nnOOOOOOOOOOOO", &buf, &offset, &final, &first, &contig, &contig_len,
                          &start, &end, &cmap, &n_out, &cap, &o_pos, &o_qual, &o_gt, &o_gq, &o_dp, &o_ad, &o_adref,
                          &keys, &floats, &o_info, &o_mask, &o_mcount))
        return NULL;
    PyObject *result = NULL;
    Py_buffer v[9];
    for (int i = 0; i < 9; i++) v[i].obj = NULL;
    ctx_t c;
    memset(&c, 0, sizeof c);
    span_t *spans = NULL;
    const char *p0 = (const char *)buf.buf;
    Py_ssize_t len = buf.len;
    c.cap = cap; c.n_out = n_out; c.n_cols = cmap.len / 4; c.col_map = (const int32_t *)cmap.buf;
    c.last_kept_col = -1;
    for (Py_ssize_t i = 0; i < c.n_cols; i++) if (c.col_map[i] >= 0) c.last_kept_col = i;
    if (get_out(o_pos, &v[0], cap * 8, "pos") || get_out(o_qual, &v[1], cap * 8, "qual") ||
        get_out(o_gt, &v[2], cap * n_out * 4, "gt") || get_out(o_gq, &v[3], cap * n_out * 4, "gq") ||
        get_out(o_dp, &v[4], cap * n_out * 4, "dp") || get_out(o_ad, &v[5], cap * n_out * 8, "ad") ||
        get_out(o_adref, &v[6], cap * n_out * 4, "adref"))
        goto done;
    if (!PyTuple_Check(keys) || !PyTuple_Check(floats) || PyTuple_GET_SIZE(keys) > MAX_INFO) {
        PyErr_SetString(PyExc_ValueError, "info keys must be a tuple of at most 32 bytes");
        goto done;
    }
    c.n_info = (int)PyTuple_GET_SIZE(keys);
    for (int k = 0; k < c.n_info; k++) {
        if (PyBytes_AsStringAndSize(PyTuple_GET_ITEM(keys, k), (char **)&c.info_key[k], &c.info_len[k]) < 0) goto done;
        c.info_float[k] = PyObject_IsTrue(PyTuple_GET_ITEM(floats, k));
    }
    if (c.n_info && get_out(o_info, &v[7], c.n_info * cap * 8, "info")) goto done;
    c.pos = v[0].buf; c.qual = v[1].buf; c.gt = v[2].buf;
    c.gq = v[3].obj ? v[3].buf : NULL; c.dp = v[4].obj ? v[4].buf : NULL;
    c.ad = v[5].obj ? v[5].buf : NULL; c.adref = v[6].obj ? v[6].buf : NULL;
    c.info = v[7].obj ? v[7].buf : NULL;
    spans = PyMem_Malloc(sizeof(span_t) * N_SPANS * (size_t)(cap > 0 ? cap : 1));
    c.ad_p = PyMem_Calloc((size_t)(n_out > 0 ? n_out : 1), sizeof(char *));
    size_t nn = (size_t)(n_out > 0 ? n_out : 1);
    c.ad_n = PyMem_Calloc(nn, sizeof(Py_ssize_t));
    if (!spans || !c.ad_p || !c.ad_n) { PyErr_NoMemory(); goto done; }
    if (o_mask != Py_None) {
        if (!PyTuple_Check(o_mask) || PyTuple_GET_SIZE(o_mask) != 9) {
            PyErr_SetString(PyExc_ValueError, "mask must be None or a tuple of 9 numbers");
            goto done;
        }
        for (int k = 0; k < 3; k++) {
            c.m_op[k] = (int)PyLong_AsLong(PyTuple_GET_ITEM(o_mask, 3 * k));
            c.m_lo[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(o_mask, 3 * k + 1));
            c.m_hi[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(o_mask, 3 * k + 2));
            if (c.m_op[k] < OP_OFF || c.m_op[k] > OP_BETWEEN) {
                PyErr_SetString(PyExc_ValueError, "mask: unknown operator");
                goto done;
            }
        }
        if (PyErr_Occurred()) goto done;
        if (get_out(o_mcount, &v[8], 32, "mask_count")) goto done;
        if (!v[8].obj) { PyErr_SetString(PyExc_ValueError, "mask needs mask_count"); goto done; }
        c.m_count = v[8].buf;
        c.mask_on = c.m_op[0] || c.m_op[1] || c.m_op[2];
        for (int k = 0; k < 2; k++) int_range(c.m_op[k], c.m_lo[k], c.m_hi[k], &c.i_lo[k], &c.i_hi[k], &c.i_inv[k]);
        if ((c.m_op[0] && !c.gq && !(c.m_gq = PyMem_Malloc(nn * 4))) ||
            (c.m_op[1] && !c.dp && !(c.m_dp = PyMem_Malloc(nn * 4))) ||
            (c.m_op[2] && !c.ad && !(c.m_ad = PyMem_Malloc(nn * 8))) || !(c.m_fail = PyMem_Malloc(nn * 4))) {
            PyErr_NoMemory();
            goto done;
        }
    }
    Py_ssize_t n = 0, off = offset;
    int status = 0, failed = 0;
    Py_BEGIN_ALLOW_THREADS
    while (n < cap) {
        if (off >= len) { status = final ? 2 : 0; break; }
        const char *s = p0 + off;
        const char *nl = memchr(s, '\n', (size_t)(len - off));
        if (!nl && !final) { status = 0; break; }
        const char *e = nl ? nl : p0 + len;
        Py_ssize_t next = (e - p0) + 1;
        if (e == s) { snprintf(c.err, sizeof c.err, "empty line"); failed = 1; break; }
        const char *t = memchr(s, '\t', (size_t)(e - s));
        if (!t || t - s != contig_len || memcmp(s, contig, (size_t)contig_len) != 0) {
            if (*s == '#') { snprintf(c.err, sizeof c.err, "header line among records"); failed = 1; break; }
            if (first && off == offset) {  /* the index's offset must point at a record of this contig */
                snprintf(c.err, sizeof c.err, "the index points at another contig");
                failed = 1;
                break;
            }
            status = 2;  /* another contig: this region is done */
            break;
        }
        const char *q = t + 1;
        long long pos = 0;
        if (q >= e || *q < '0' || *q > '9') { snprintf(c.err, sizeof c.err, "bad POS"); failed = 1; break; }
        while (q < e && *q >= '0' && *q <= '9') { pos = pos * 10 + (*q - '0'); q++; }
        if (q >= e || *q != '\t') { snprintf(c.err, sizeof c.err, "bad POS"); failed = 1; break; }
        if (end >= 0 && pos > end) { status = 2; break; }
        if (pos < start) { off = next; continue; }
        c.pos[n] = pos;
        if (parse_line(&c, s, e, n, spans + n * N_SPANS) < 0) { failed = 1; break; }
        spans[n * N_SPANS + F_CHROM] = (span_t){s, t - s};
        n++;
        off = next;
        if (n == cap) status = 1;
    }
    Py_END_ALLOW_THREADS
    if (failed) { PyErr_SetString(PyExc_ValueError, c.err); goto done; }
    PyObject *ids = PyList_New(n), *refs = PyList_New(n), *alts = PyList_New(n), *filters = PyList_New(n);
    if (!ids || !refs || !alts || !filters) goto fail_lists;
    for (Py_ssize_t r = 0; r < n; r++) {
        span_t *sp = spans + r * N_SPANS;
        PyObject *id = span_str(sp[F_ID]), *ref = span_str(sp[F_REF]), *alt = alt_list(sp[F_ALT]);
        span_t fl = sp[F_FILTER];
        PyObject *flt;
        if ((fl.n == 1 && fl.p[0] == '.') || (fl.n == 4 && memcmp(fl.p, "PASS", 4) == 0)) { flt = Py_None; Py_INCREF(flt); }
        else flt = span_str(fl);
        if (!id || !ref || !alt || !flt) { Py_XDECREF(id); Py_XDECREF(ref); Py_XDECREF(alt); Py_XDECREF(flt); goto fail_lists; }
        PyList_SET_ITEM(ids, r, id);
        PyList_SET_ITEM(refs, r, ref);
        PyList_SET_ITEM(alts, r, alt);
        PyList_SET_ITEM(filters, r, flt);
    }
    result = Py_BuildValue("nniNNNN", n, off, status, ids, refs, alts, filters);
    goto done;
fail_lists:
    Py_XDECREF(ids); Py_XDECREF(refs); Py_XDECREF(alts); Py_XDECREF(filters);
done:
    for (int i = 0; i < 9; i++) if (v[i].obj) PyBuffer_Release(&v[i]);
    PyBuffer_Release(&buf);
    PyBuffer_Release(&cmap);
    PyMem_Free(spans);
    PyMem_Free(c.ad_p);
    PyMem_Free(c.ad_n);
    PyMem_Free(c.m_gq);
    PyMem_Free(c.m_dp);
    PyMem_Free(c.m_ad);
    PyMem_Free(c.m_fail);
    return result;
}

static PyMethodDef methods[] = {
    {"parse", parse, METH_VARARGS, "Decode VCF text records into preallocated arrays (see goe.vcf.fastread)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_textvcf", "Fast VCF text record decoder.", -1, methods};

PyMODINIT_FUNC PyInit__textvcf(void) { return PyModule_Create(&module); }
