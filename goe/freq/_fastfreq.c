/* The two per-allele hot loops of goe freq in C: the exact HWE test and the
 * sites-VCF lines. goe.freq.hwe and goe.freq.output hold the Python
 * definitions; tests check that both give the same values and bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Wigginton, Cutler & Abecasis (2005), as goe.freq.hwe.hwe_exact, relative to the term at
 * `mid` (near the mode). The terms fall off faster than geometrically away from the mode, so each
 * tail stops once a term is below 1e-18 of min(1, the observed term): what is left changes the
 * p-value by less than 1e-16 of itself (tests compare with the full Python sum at 1e-11). */
#define HWE_TAIL 1e-18
static double hwe_one(int64_t nref, int64_t nalt, int64_t nhet, double *probs) {
    if (nref <= 0 || nalt <= 0) return 1.0;
    int64_t n = nref + nalt, ngt = n / 2, nrare = nref < nalt ? nref : nalt;
    if ((nrare & 1) != (nhet & 1) || nhet > nrare || nhet < 0 || (n & 1)) return 1.0;
    int64_t mid = (int64_t)((double)nrare * (double)(n - nrare) / (double)n);
    if ((nrare & 1) != (mid & 1)) mid++;
    probs[mid] = 1.0;
    double obs = nhet == mid ? 1.0 : -1.0, thr = obs > 0 ? HWE_TAIL : 0.0;
    int64_t lo = mid, hi = mid;
    /* the tail holding nhet first, so the threshold is known before the other tail */
    for (int pass = 0; pass < 2; pass++) {
        int down = (pass == 0) == (nhet < mid);
        int64_t hom_r = (nrare - mid) / 2, hom_c = ngt - mid - hom_r, het = mid;
        if (down) {
            while (het > 1) {
                double v = probs[het] * het * (het - 1.0) / (4.0 * (hom_r + 1.0) * (hom_c + 1.0));
                hom_r++; hom_c++; het -= 2;
                probs[het] = v;
                lo = het;
                if (het == nhet) { obs = v; thr = (v < 1.0 ? v : 1.0) * HWE_TAIL; }
                else if (het < nhet && v < thr) break;
            }
        } else {
            while (het <= nrare - 2) {
                double v = probs[het] * 4.0 * hom_r * hom_c / ((het + 2.0) * (het + 1.0));
                hom_r--; hom_c--; het += 2;
                probs[het] = v;
                hi = het;
                if (het == nhet) { obs = v; thr = (v < 1.0 ? v : 1.0) * HWE_TAIL; }
                else if (het > nhet && v < thr) break;
            }
        }
    }
    double sum = 0.0, p = 0.0;
    for (int64_t i = lo; i <= hi; i += 2) {
        double v = probs[i];
        sum += v;
        if (v <= obs) p += v;
    }
    p /= sum;
    return p > 1.0 ? 1.0 : p;
}

/* hwe(nref, nalt, nhet, out): int64 buffers of one length, float64 out. */
static PyObject *hwe(PyObject *self, PyObject *args) {
    Py_buffer a, b, h, o;
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &a, &b, &h, &o)) return NULL;
    PyObject *ret = NULL;
    Py_ssize_t n = a.len / 8;
    double *probs = NULL;
    if (b.len != a.len || h.len != a.len || o.len != a.len) {
        PyErr_SetString(PyExc_ValueError, "hwe: buffers of different lengths");
        goto done;
    }
    const int64_t *nref = a.buf, *nalt = b.buf, *nhet = h.buf;
    double *out = o.buf;
    int64_t most = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t r = nref[i] < nalt[i] ? nref[i] : nalt[i];
        if (r > most) most = r;
    }
    probs = PyMem_Malloc(sizeof(double) * (size_t)(most + 1));
    if (!probs) { PyErr_NoMemory(); goto done; }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        /* neighbouring populations often share counts */
        if (i > 0 && nref[i] == nref[i - 1] && nalt[i] == nalt[i - 1] && nhet[i] == nhet[i - 1]) out[i] = out[i - 1];
        else out[i] = hwe_one(nref[i], nalt[i], nhet[i], probs);
    }
    Py_END_ALLOW_THREADS
    ret = Py_None;
    Py_INCREF(ret);
done:
    PyMem_Free(probs);
    PyBuffer_Release(&a); PyBuffer_Release(&b); PyBuffer_Release(&h); PyBuffer_Release(&o);
    return ret;
}

typedef struct {
    char *p;
    Py_ssize_t n, cap;
} sbuf;

static int grow(sbuf *s, Py_ssize_t extra) {
    if (s->n + extra <= s->cap) return 0;
    Py_ssize_t cap = s->cap ? s->cap : 1 << 16;
    while (cap < s->n + extra) cap *= 2;
    char *p = PyMem_Realloc(s->p, (size_t)cap);
    if (!p) { PyErr_NoMemory(); return -1; }
    s->p = p; s->cap = cap;
    return 0;
}

static inline void put(sbuf *s, const char *src, Py_ssize_t n) { memcpy(s->p + s->n, src, (size_t)n); s->n += n; }

static inline void put_int(sbuf *s, int64_t v) {
    if (v >= 0 && v < 10) { s->p[s->n++] = (char)('0' + v); return; }  /* most counts of rare alleles */
    char tmp[24];
    int k = 0;
    uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    do { tmp[k++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) s->p[s->n++] = '-';
    while (k) s->p[s->n++] = tmp[--k];
}

/* Formatted values, by their bits: AF, F_MISSING and HWE repeat a lot (the same AC/AN, the same
 * call rate), and snprintf is most of the cost of a line. Used with the GIL held (one thread). */
#define GCACHE 4096
typedef struct {
    uint64_t bits;
    int digits, len;
    char s[32];
} gcache_t;
static gcache_t gcache[GCACHE];

static inline void put_g(sbuf *s, double v, int digits) {
    if (isnan(v)) { s->p[s->n++] = '.'; return; }
    if (v == 0.0 && !signbit(v)) { s->p[s->n++] = '0'; return; }
    if (v == 1.0) { s->p[s->n++] = '1'; return; }
    uint64_t bits;
    memcpy(&bits, &v, 8);
    gcache_t *c = gcache + (((bits ^ (bits >> 29) ^ (uint64_t)digits) * 0x9E3779B97F4A7C15ULL) >> 52);
    if (c->len == 0 || c->bits != bits || c->digits != digits) {
        c->len = snprintf(c->s, sizeof c->s, "%.*g", digits, v);
        c->bits = bits;
        c->digits = digits;
    }
    memcpy(s->p + s->n, c->s, (size_t)c->len);
    s->n += c->len;
}

static int put_str(sbuf *s, PyObject *o) {
    Py_ssize_t n;
    const char *c = PyUnicode_AsUTF8AndSize(o, &n);
    if (!c || grow(s, n + 1) < 0) return -1;
    put(s, c, n);
    return 0;
}

#define N_STATS 9
static int digits_for(int64_t an) {
    int d = 1;
    while (an >= 10) { an /= 10; d++; }
    return d + 1 > 6 ? d + 1 : 6;
}

/* vcf_lines(contig, pos, ids, refs, alts, qual, filters, ints, fmiss, hwe, withheld, info_ids)
 * ints: int64 (6, R, G) = AC, AN, AC_Hom, AC_Het, AC_Hemi, NS; fmiss, hwe: float64 (R, G);
 * withheld: uint8 (R, G); info_ids: G tuples of the 9 INFO IDs (bytes) in goe.package.gdi.STATS order.
 * -> (bytes of all lines, int64 end offset of each line) */
static PyObject *vcf_lines(PyObject *self, PyObject *args) {
    const char *contig;
    Py_ssize_t contig_len;
    Py_buffer pos, qual, ints, fm, hw, wh;
    PyObject *ids, *refs, *alts, *filters, *info_ids;
    if (!PyArg_ParseTuple(args, "y#y*O!O!O!y*O!y*y*y*y*O!", &contig, &contig_len, &pos, &PyList_Type, &ids,
                          &PyList_Type, &refs, &PyList_Type, &alts, &qual, &PyList_Type, &filters, &ints, &fm, &hw,
                          &wh, &PyTuple_Type, &info_ids))
        return NULL;
    PyObject *ret = NULL, *ends = NULL;
    sbuf s = {NULL, 0, 0};
    Py_ssize_t R = pos.len / 8, G = PyTuple_GET_SIZE(info_ids);
    /* one key per (group, statistic): as many groups as the sample sheet makes */
    const char *(*key)[N_STATS] = PyMem_Malloc(sizeof *key * (size_t)(G ? G : 1));
    Py_ssize_t (*klen)[N_STATS] = PyMem_Malloc(sizeof *klen * (size_t)(G ? G : 1));
    if (!key || !klen) {
        PyErr_NoMemory();
        goto done;
    }
    if (PyList_GET_SIZE(ids) != R || PyList_GET_SIZE(refs) != R || PyList_GET_SIZE(alts) != R ||
        PyList_GET_SIZE(filters) != R || ints.len != 6 * R * G * 8 || fm.len != R * G * 8 || hw.len != R * G * 8 ||
        wh.len != R * G || qual.len != R * 8) {
        PyErr_SetString(PyExc_ValueError, "vcf_lines: inconsistent inputs");
        goto done;
    }
    for (Py_ssize_t g = 0; g < G; g++) {
        PyObject *t = PyTuple_GET_ITEM(info_ids, g);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != N_STATS) {
            PyErr_SetString(PyExc_ValueError, "vcf_lines: each group needs 9 INFO IDs");
            goto done;
        }
        for (int k = 0; k < N_STATS; k++)
            if (PyBytes_AsStringAndSize(PyTuple_GET_ITEM(t, k), (char **)&key[g][k], &klen[g][k]) < 0) goto done;
    }
    ends = PyBytes_FromStringAndSize(NULL, R * 8);
    if (!ends) goto done;
    int64_t *end_off = (int64_t *)PyBytes_AS_STRING(ends);
    const int64_t *P = pos.buf, *I = ints.buf;
    const double *Q = qual.buf, *FM = fm.buf, *HW = hw.buf;
    const uint8_t *W = wh.buf;
    Py_ssize_t RG = R * G;
    for (Py_ssize_t r = 0; r < R; r++) {
        if (grow(&s, contig_len + 64) < 0) goto done;
        put(&s, contig, contig_len);
        s.p[s.n++] = '\t';
        put_int(&s, P[r]);
        s.p[s.n++] = '\t';
        if (put_str(&s, PyList_GET_ITEM(ids, r)) < 0) goto done;
        s.p[s.n++] = '\t';
        if (put_str(&s, PyList_GET_ITEM(refs, r)) < 0) goto done;
        s.p[s.n++] = '\t';
        if (put_str(&s, PyList_GET_ITEM(alts, r)) < 0) goto done;
        if (grow(&s, 48) < 0) goto done;
        s.p[s.n++] = '\t';
        if (isnan(Q[r])) s.p[s.n++] = '.';
        else s.n += snprintf(s.p + s.n, 40, "%g", Q[r]);
        s.p[s.n++] = '\t';
        if (put_str(&s, PyList_GET_ITEM(filters, r)) < 0) goto done;
        s.p[s.n++] = '\t';
        int any = 0;
        for (Py_ssize_t g = 0; g < G; g++) {
            Py_ssize_t i = r * G + g;
            if (W[i]) continue;
            int64_t ac = I[i], an = I[RG + i];
            int64_t vals[6] = {ac, an, I[2 * RG + i], I[3 * RG + i], I[4 * RG + i], I[5 * RG + i]};
            Py_ssize_t need = 9 * 48;
            for (int k = 0; k < N_STATS; k++) need += klen[g][k];
            if (grow(&s, need) < 0) goto done;
            for (int k = 0; k < N_STATS; k++) {
                if (any) s.p[s.n++] = ';';
                any = 1;
                put(&s, key[g][k], klen[g][k]);
                s.p[s.n++] = '=';
                switch (k) {
                case 0: put_int(&s, vals[0]); break;
                case 1: put_int(&s, vals[1]); break;
                case 2:
                    if (an <= 0) s.p[s.n++] = '.';
                    else put_g(&s, (double)ac / (double)an, digits_for(an));
                    break;
                case 3: case 4: case 5: case 6: put_int(&s, vals[k - 1]); break;
                case 7: put_g(&s, FM[i], 6); break;
                case 8: put_g(&s, HW[i], 6); break;
                }
            }
        }
        if (grow(&s, 2) < 0) goto done;
        if (!any) s.p[s.n++] = '.';
        s.p[s.n++] = '\n';
        end_off[r] = s.n;
    }
    ret = Py_BuildValue("y#O", s.p ? s.p : "", s.n, ends);
done:
    Py_XDECREF(ends);
    PyMem_Free(s.p);
    PyMem_Free(key);
    PyMem_Free(klen);
    PyBuffer_Release(&pos); PyBuffer_Release(&qual); PyBuffer_Release(&ints);
    PyBuffer_Release(&fm); PyBuffer_Release(&hw); PyBuffer_Release(&wh);
    return ret;
}

/* Genotype allele classes for the one-ALT histogram: not called, REF, the ALT, another allele. */
#define N_CODES 32
#define HOM_REF_CODE ((1 * 4 + 1) * 2 + 1)  /* 0/0, a call expected */
static inline int gclass(int a) { return a < 0 ? 0 : (a > 1 ? 3 : a + 1); }

/* whether no sample has ploidy 0 at this record (a loop the compiler vectorises) */
static inline int all_expected(const int8_t *p, Py_ssize_t n) {
    int8_t low = 1;
    for (Py_ssize_t s = 0; s < n; s++) low = p[s] < low ? p[s] : low;
    return low > 0;
}

/* count(gt, ploidy, row_rec, row_allele, leaf, leaf_ptr, leaf_idx, G, out)
 * gt int16 (B, n, 2) after the ploidy step; ploidy int8 (B, n); row_rec, row_allele int64 (R), row_rec
 * non-decreasing; leaf int32 (n): each sample's leaf, the set of groups it belongs to (e.g. DE_F), and
 * the leaves' groups as CSR (int32 ptr (L+1), int32 idx); out int64 (7, R, G) = AN, NS, N_expected,
 * N_diploid, N_hom, N_het, N_hemi — the sums goe.freq.counting makes with matrix products. One pass
 * over each record's genotypes adds into the few leaves; leaves are then summed into the groups. */
static PyObject *count(PyObject *self, PyObject *args) {
    Py_buffer gtb, plb, rrb, rab, lfb, lpb, lib, outb;
    Py_ssize_t G;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*nw*", &gtb, &plb, &rrb, &rab, &lfb, &lpb, &lib, &G, &outb))
        return NULL;
    PyObject *ret = NULL;
    int64_t *acc = NULL, *lrow = NULL;
    int32_t *hist = NULL;
    int64_t *leaf_n = NULL;
    Py_ssize_t *amap = NULL;
    Py_ssize_t R = rrb.len / 8, n = lfb.len / 4, L = lpb.len / 4 - 1;
    Py_ssize_t B = n > 0 ? gtb.len / (n * 4) : 0;
    if (n <= 0 || L <= 0 || plb.len != B * n || rab.len != rrb.len || outb.len != 7 * R * G * 8 || G <= 0) {
        PyErr_SetString(PyExc_ValueError, "count: inconsistent inputs");
        goto done;
    }
    const int16_t *gt = gtb.buf;
    const int8_t *pl = plb.buf;
    const int64_t *rr = rrb.buf, *ra = rab.buf;
    const int32_t *leaf = lfb.buf, *lp = lpb.buf, *li = lib.buf;
    int64_t *out = outb.buf;
    memset(out, 0, (size_t)outb.len);
    int64_t max_allele = 0;
    Py_ssize_t max_rows = 0;
    for (Py_ssize_t r = 0, run = 0; r < R; r++) {
        if (rr[r] < 0 || rr[r] >= B || ra[r] < 1 || (r && rr[r] < rr[r - 1])) {
            PyErr_SetString(PyExc_ValueError, "count: bad allele rows");
            goto done;
        }
        if (ra[r] > max_allele) max_allele = ra[r];
        run = (r && rr[r] == rr[r - 1]) ? run + 1 : 1;
        if (run > max_rows) max_rows = run;
    }
    for (Py_ssize_t s = 0; s < n; s++)
        if (leaf[s] < 0 || leaf[s] >= L) { PyErr_SetString(PyExc_ValueError, "count: bad leaf"); goto done; }
    if (lp[0] != 0 || lp[L] != lib.len / 4) { PyErr_SetString(PyExc_ValueError, "count: bad leaf groups"); goto done; }
    for (Py_ssize_t k = 0; k < lib.len / 4; k++)
        if (li[k] < 0 || li[k] >= G) { PyErr_SetString(PyExc_ValueError, "count: bad group index"); goto done; }
    acc = PyMem_Calloc((size_t)(4 * L), sizeof(int64_t));
    lrow = PyMem_Calloc((size_t)(3 * L * (max_rows > 0 ? max_rows : 1)), sizeof(int64_t));
    hist = PyMem_Malloc(sizeof(int32_t) * (size_t)(L * N_CODES));
    leaf_n = PyMem_Calloc((size_t)L, sizeof(int64_t));
    amap = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(max_allele + 1));
    if (!acc || !lrow || !amap || !hist || !leaf_n) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t s = 0; s < n; s++) leaf_n[leaf[s]]++;
    for (int64_t k = 0; k <= max_allele; k++) amap[k] = -1;
    Py_ssize_t RG = R * G;
    int64_t *AN = out, *NS = out + RG, *NE = out + 2 * RG, *ND = out + 3 * RG;
    int64_t *HOM = out + 4 * RG, *HET = out + 5 * RG, *HEMI = out + 6 * RG;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t r0 = 0;
    while (r0 < R) {
        int64_t rec = rr[r0];
        Py_ssize_t r1 = r0;
        while (r1 < R && rr[r1] == rec) { amap[ra[r1]] = r1 - r0; r1++; }
        Py_ssize_t nr = r1 - r0;
        memset(acc, 0, sizeof(int64_t) * (size_t)(4 * L));
        memset(lrow, 0, sizeof(int64_t) * (size_t)(3 * L * nr));
        int64_t *lhom = lrow, *lhet = lrow + L * nr, *lhemi = lrow + 2 * L * nr;  /* [row][leaf] */
        const int16_t *g = gt + rec * n * 2;
        const int8_t *p = pl + rec * n;
        if (nr == 1 && ra[r0] == 1) {
            /* the usual record, one ALT: a histogram of genotype classes per leaf, then the sums from
             * the classes; 0/0 calls, most of them, are not even looked up */
            memset(hist, 0, sizeof(int32_t) * (size_t)(L * N_CODES));
            Py_ssize_t s = 0;
            if (all_expected(p, n)) {
                /* every sample expects a call: skip runs of 0/0 four samples (16 bytes) at a time */
                for (; s + 4 <= n; s += 4) {
                    uint64_t w[2];
                    memcpy(w, g + 2 * s, 16);
                    if (!(w[0] | w[1])) continue;
                    for (Py_ssize_t t = s; t < s + 4; t++) {
                        uint32_t pair;
                        memcpy(&pair, g + 2 * t, 4);
                        if (pair == 0) continue;
                        hist[leaf[t] * N_CODES + (gclass(g[2 * t]) * 4 + gclass(g[2 * t + 1])) * 2 + 1]++;
                    }
                }
            }
            for (; s < n; s++) {
                uint32_t pair;
                memcpy(&pair, g + 2 * s, 4);
                if (pair == 0 && p[s] > 0) continue;  /* 0/0 where a call is expected: counted by difference */
                int code = (gclass(g[2 * s]) * 4 + gclass(g[2 * s + 1])) * 2 + (p[s] > 0);
                hist[leaf[s] * N_CODES + code]++;
            }
            for (Py_ssize_t l = 0; l < L; l++) {
                int64_t *a = acc + 4 * l, others = 0;
                const int32_t *h = hist + l * N_CODES;
                for (int code = 0; code < N_CODES; code++) others += h[code];
                for (int code = 0; code < N_CODES; code++) {
                    int64_t k = code == HOM_REF_CODE ? leaf_n[l] - others : h[code];
                    if (!k) continue;
                    int x0 = code / 8, x1 = (code / 2) % 4, c0 = x0 > 0, c1 = x1 > 0, nc = c0 + c1, dip = c0 & c1;
                    a[0] += nc * k; a[1] += (nc > 0) * k; a[2] += (code & 1) * k; a[3] += dip * k;
                    if (dip) {
                        if (x0 == x1) { if (x0 == 2) lhom[l] += k; }
                        else lhet[l] += k * ((x0 == 2) + (x1 == 2));
                    } else if (nc && (c0 ? x0 : x1) == 2) {
                        lhemi[l] += k;
                    }
                }
            }
        } else for (Py_ssize_t s = 0; s < n; s++) {
            int a0 = g[2 * s], a1 = g[2 * s + 1];
            int c0 = a0 >= 0, c1 = a1 >= 0, nc = c0 + c1, dip = c0 & c1;
            int32_t l = leaf[s];
            int64_t *a = acc + 4 * l;
            a[0] += nc; a[1] += nc > 0; a[2] += p[s] > 0; a[3] += dip;
            if (!nc) continue;
            if (dip) {
                if (a0 == a1) {
                    Py_ssize_t row = a0 <= max_allele ? amap[a0] : -1;
                    if (row >= 0) lhom[row * L + l]++;
                } else {
                    Py_ssize_t row = a0 <= max_allele ? amap[a0] : -1;
                    if (row >= 0) lhet[row * L + l]++;
                    row = a1 <= max_allele ? amap[a1] : -1;
                    if (row >= 0) lhet[row * L + l]++;
                }
            } else {
                int x = c0 ? a0 : a1;
                Py_ssize_t row = x <= max_allele ? amap[x] : -1;
                if (row >= 0) lhemi[row * L + l]++;
            }
        }
        for (Py_ssize_t l = 0; l < L; l++) {
            const int64_t *a = acc + 4 * l;
            for (const int32_t *q = li + lp[l]; q < li + lp[l + 1]; q++) {
                for (Py_ssize_t r = r0; r < r1; r++) {
                    Py_ssize_t o = r * G + *q, k = (r - r0) * L + l;
                    AN[o] += a[0]; NS[o] += a[1]; NE[o] += a[2]; ND[o] += a[3];
                    HOM[o] += lhom[k]; HET[o] += lhet[k]; HEMI[o] += lhemi[k];
                }
            }
        }
        for (Py_ssize_t r = r0; r < r1; r++) amap[ra[r]] = -1;
        r0 = r1;
    }
    Py_END_ALLOW_THREADS
    ret = Py_None;
    Py_INCREF(ret);
done:
    PyMem_Free(acc);
    PyMem_Free(lrow);
    PyMem_Free(hist);
    PyMem_Free(leaf_n);
    PyMem_Free(amap);
    PyBuffer_Release(&gtb); PyBuffer_Release(&plb); PyBuffer_Release(&rrb); PyBuffer_Release(&rab);
    PyBuffer_Release(&lfb); PyBuffer_Release(&lpb); PyBuffer_Release(&lib); PyBuffer_Release(&outb);
    return ret;
}

static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS, "Per-group allele sums of a batch (see goe.freq.counting)."},
    {"hwe", hwe, METH_VARARGS, "Exact HWE p-values: hwe(nref, nalt, nhet, out)."},
    {"vcf_lines", vcf_lines, METH_VARARGS, "Sites-VCF lines of counted allele rows."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastfreq", "goe freq hot loops.", -1, methods};

PyMODINIT_FUNC PyInit__fastfreq(void) { return PyModule_Create(&module); }
