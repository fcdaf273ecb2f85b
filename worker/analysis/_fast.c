/* The analysis engine's hot loop over log bytes, compiled: ANSI stripping, line finding and counting repeats.
 *
 * Why C: per megabyte of a real CI log these loops handle ~14,000 escape sequences and ~800 pattern matches;
 * in Python (a regex substitution, then count/rfind/find per match) they took more time than Hyperscan's scan
 * itself. A small C file builds with any C compiler and the Python headers (`pip install` runs setuptools), needs
 * no other toolchain, and has a pure-Python twin with the same output (worker/analysis/fastpath.py), used when
 * this module was not built; a test runs both on the same inputs.
 *
 * strip_ansi, select_lines and line_text take any bytes-like object and never keep a reference to it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ESC 0x1b

/* ------------------------------------------------------------------------------------------------------------
 * strip_ansi: exactly reader.ANSI_RE.sub(b"", data), then reader._CARET_ANSI_RE.sub(b"", ...) when "^[[" occurs:
 *
 *   ANSI_RE        = \x1b\[[0-9;?]*[ -/]*[@-~] | \x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\) | \x1b[^\[\]\n]
 *   _CARET_ANSI_RE = \^\[\[[0-9;?]*[A-Za-z]
 *
 * The character classes of each alternative are disjoint, so the greedy regex never backtracks into a shorter
 * match: the sequence's length is decided by one forward walk.
 */

static inline int is_param(unsigned char c) { return (c >= '0' && c <= '9') || c == ';' || c == '?'; }
static inline int is_intermediate(unsigned char c) { return c >= 0x20 && c <= 0x2f; }
static inline int is_final(unsigned char c) { return c >= 0x40 && c <= 0x7e; }
static inline int is_letter(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* Length of the escape sequence starting at p (*p == ESC), or 0 when ANSI_RE does not match there. */
static Py_ssize_t escape_length(const unsigned char *p, const unsigned char *end) {
    const unsigned char *q = p + 1;
    if (q >= end || *q == '\n') {
        return 0;
    }
    if (*q == '[') { /* CSI: parameters, intermediates, one final byte */
        q++;
        while (q < end && is_param(*q)) q++;
        while (q < end && is_intermediate(*q)) q++;
        return (q < end && is_final(*q)) ? q + 1 - p : 0;
    }
    if (*q == ']') { /* OSC: up to BEL or ESC \ on the same line */
        q++;
        while (q < end && *q != 0x07 && *q != ESC && *q != '\n') q++;
        if (q < end && *q == 0x07) return q + 1 - p;
        if (q + 1 < end && *q == ESC && q[1] == '\\') return q + 2 - p;
        return 0;
    }
    return 2; /* ESC and any other byte but '[', ']' and newline */
}

/* Length of a caret-escaped CSI sequence at p (*p == '^'), or 0. */
static Py_ssize_t caret_length(const unsigned char *p, const unsigned char *end) {
    const unsigned char *q = p + 1;
    if (end - q < 2 || q[0] != '[' || q[1] != '[') {
        return 0;
    }
    q += 2;
    while (q < end && is_param(*q)) q++;
    return (q < end && is_letter(*q)) ? q + 1 - p : 0;
}

/* Copy src to dst without the sequences `length` finds at bytes equal to `lead`; returns the bytes written. */
static Py_ssize_t remove_sequences(const unsigned char *src, Py_ssize_t size, unsigned char *dst, unsigned char lead,
                                   Py_ssize_t (*length)(const unsigned char *, const unsigned char *)) {
    const unsigned char *p = src, *end = src + size;
    unsigned char *out = dst;
    while (p < end) {
        const unsigned char *hit = memchr(p, lead, (size_t)(end - p));
        if (hit == NULL) {
            memmove(out, p, (size_t)(end - p));
            out += end - p;
            break;
        }
        memmove(out, p, (size_t)(hit - p));
        out += hit - p;
        Py_ssize_t skip = length(hit, end);
        if (skip > 0) {
            p = hit + skip;
        } else {
            *out++ = *hit;
            p = hit + 1;
        }
    }
    return out - dst;
}

static int contains(const unsigned char *data, Py_ssize_t size, const char *needle, Py_ssize_t n) {
    const unsigned char *p = data, *end = data + size;
    while (end - p >= n) {
        const unsigned char *hit = memchr(p, needle[0], (size_t)(end - p - n + 1));
        if (hit == NULL) return 0;
        if (memcmp(hit, needle, (size_t)n) == 0) return 1;
        p = hit + 1;
    }
    return 0;
}

static PyObject *strip_ansi(PyObject *module, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    const unsigned char *data = view.buf;
    Py_ssize_t size = view.len;
    int has_escape = memchr(data, ESC, (size_t)size) != NULL;
    int has_caret = contains(data, size, "^[[", 3);
    if (!has_escape && !has_caret) {
        PyBuffer_Release(&view);
        if (PyBytes_CheckExact(arg)) {
            Py_INCREF(arg);
            return arg;
        }
        return PyBytes_FromObject(arg);
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, size);
    if (result == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    Py_ssize_t length = size;
    Py_BEGIN_ALLOW_THREADS
    if (has_escape) {
        length = remove_sequences(data, size, out, ESC, escape_length);
    } else {
        memcpy(out, data, (size_t)size);
    }
    /* The caret form is removed from the result of the first pass, as the two regexes are applied in turn. */
    if (contains(out, length, "^[[", 3)) {
        length = remove_sequences(out, length, out, '^', caret_length);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (length != size && _PyBytes_Resize(&result, length) < 0) {
        return NULL;
    }
    return result;
}

/* ------------------------------------------------------------------------------------------------------------
 * select_lines(data, ends) -> (newlines, numbers, starts, lines, keys)
 *
 * The lines that pattern matches end on, found in one walk over the matches: `ends` are match end offsets (as
 * Hyperscan reports them); a match belongs to the line holding its last byte. Returns the number of '\n' in
 * `data`, and for each distinct matched line in order: its index in `data` (0 = the first line), the offset where
 * it starts, its bytes without the '\n', and its repeat key (the bytes with each run of digits masked as "0").
 */

static Py_ssize_t count_newlines(const unsigned char *p, Py_ssize_t n) {
    Py_ssize_t total = 0;
    while (n > 0) {
        /* A byte-sized counter over at most 240 bytes (15 vectors of 16) cannot wrap: the compiler keeps it in
         * byte lanes, 16 bytes per compare and subtract (an int counter widens every byte: twice the time). */
        Py_ssize_t stride = n < 240 ? n : 240;
        unsigned char count = 0;
        for (Py_ssize_t i = 0; i < stride; i++) {
            count += p[i] == '\n';
        }
        total += count;
        p += stride;
        n -= stride;
    }
    return total;
}

static inline int has_digit(const unsigned char *p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((unsigned char)(p[i] - '0') <= 9) return 1;
    }
    return 0;
}

/* The repeat key of a line: its bytes with every run of digits replaced by one '0'. */
static PyObject *masked(const unsigned char *p, Py_ssize_t n) {
    PyObject *key = PyBytes_FromStringAndSize(NULL, n);
    if (key == NULL) return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(key);
    Py_ssize_t size = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= '0' && c <= '9') {
            if (size > 0 && out[size - 1] == '0' && i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9') continue;
            c = '0';
        }
        out[size++] = c;
    }
    if (size != n && _PyBytes_Resize(&key, size) < 0) return NULL;
    return key;
}

/* ------------------------------------------------------------------------------------------------------------
 * Ends: a Hyperscan match handler that keeps the end offset of every match, in C.
 *
 * hyperscan.Database.scan calls its handler once per match (~7,000 per MB of an error-dense log) with
 * (id, from, to, flags, context); a Python function there costs a frame per call. An Ends object is called the
 * same way and appends `to` to an array; select_lines reads the array directly. It is also a sequence of int
 * (len, indexing), like the list the pure-Python twin collects.
 */

typedef struct {
    PyObject_HEAD
    Py_ssize_t *ends;
    Py_ssize_t size;
    Py_ssize_t capacity;
} Ends;

static PyTypeObject EndsType;

static void Ends_dealloc(Ends *self) {
    PyMem_Free(self->ends);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Ends_call(Ends *self, PyObject *args, PyObject *kwargs) {
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 3 || (kwargs != NULL && PyDict_GET_SIZE(kwargs) > 0)) {
        PyErr_SetString(PyExc_TypeError, "Ends(id, from, to, flags, context): a Hyperscan match handler");
        return NULL;
    }
    Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(args, 2));
    if (end == -1 && PyErr_Occurred()) return NULL;
    if (self->size == self->capacity) {
        Py_ssize_t capacity = self->capacity ? self->capacity * 2 : 1024;
        Py_ssize_t *grown = PyMem_Realloc(self->ends, sizeof(Py_ssize_t) * (size_t)capacity);
        if (grown == NULL) return PyErr_NoMemory();
        self->ends = grown;
        self->capacity = capacity;
    }
    self->ends[self->size++] = end;
    Py_RETURN_NONE; /* None: Hyperscan goes on scanning */
}

static Py_ssize_t Ends_length(Ends *self) { return self->size; }

static PyObject *Ends_item(Ends *self, Py_ssize_t i) {
    if (i < 0 || i >= self->size) {
        PyErr_SetString(PyExc_IndexError, "Ends index out of range");
        return NULL;
    }
    return PyLong_FromSsize_t(self->ends[i]);
}

static PySequenceMethods Ends_as_sequence = {
    .sq_length = (lenfunc)Ends_length,
    .sq_item = (ssizeargfunc)Ends_item,
};

static PyTypeObject EndsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "worker.analysis._fast.Ends",
    .tp_doc = "Ends() -> a Hyperscan match handler keeping every match's end offset (a sequence of int).",
    .tp_basicsize = sizeof(Ends),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Ends_dealloc,
    .tp_call = (ternaryfunc)Ends_call,
    .tp_as_sequence = &Ends_as_sequence,
};

/* ------------------------------------------------------------------------------------------------------------
 * Patterns: a Hyperscan match handler that keeps the pattern id of every match, in C; patterns() gives them
 * distinct and sorted. The knowledge base's exact scan of each new selected line (selection.LineRules) needs
 * only which patterns matched; a Python handler there cost a frame per match and a set per line.
 */

typedef struct {
    PyObject_HEAD
    unsigned int *ids;
    Py_ssize_t size;
    Py_ssize_t capacity;
} Patterns;

static void Patterns_dealloc(Patterns *self) {
    PyMem_Free(self->ids);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Patterns_call(Patterns *self, PyObject *args, PyObject *kwargs) {
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 3 || (kwargs != NULL && PyDict_GET_SIZE(kwargs) > 0)) {
        PyErr_SetString(PyExc_TypeError, "Patterns(id, from, to, flags, context): a Hyperscan match handler");
        return NULL;
    }
    unsigned long id = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(args, 0));
    if (id == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    if (self->size == self->capacity) {
        Py_ssize_t capacity = self->capacity ? self->capacity * 2 : 16;
        unsigned int *grown = PyMem_Realloc(self->ids, sizeof(unsigned int) * (size_t)capacity);
        if (grown == NULL) return PyErr_NoMemory();
        self->ids = grown;
        self->capacity = capacity;
    }
    self->ids[self->size++] = (unsigned int)id;
    Py_RETURN_NONE; /* None: Hyperscan goes on scanning */
}

static int compare_ids(const void *a, const void *b) {
    unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;
    return (x > y) - (x < y);
}

static PyObject *Patterns_patterns(Patterns *self, PyObject *unused) {
    if (self->size > 1) qsort(self->ids, (size_t)self->size, sizeof(unsigned int), compare_ids);
    Py_ssize_t distinct = 0;
    for (Py_ssize_t i = 0; i < self->size; i++) {
        if (distinct == 0 || self->ids[distinct - 1] != self->ids[i]) self->ids[distinct++] = self->ids[i];
    }
    self->size = distinct;
    PyObject *out = PyTuple_New(distinct);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < distinct; i++) {
        PyObject *id = PyLong_FromUnsignedLong(self->ids[i]);
        if (id == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, id);
    }
    return out;
}

static PyMethodDef Patterns_methods[] = {
    {"patterns", (PyCFunction)Patterns_patterns, METH_NOARGS, "patterns() -> the distinct ids matched, sorted."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PatternsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "worker.analysis._fast.Patterns",
    .tp_doc = "Patterns() -> a Hyperscan match handler keeping every match's pattern id (see patterns()).",
    .tp_basicsize = sizeof(Patterns),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Patterns_dealloc,
    .tp_call = (ternaryfunc)Patterns_call,
    .tp_methods = Patterns_methods,
};

/* ------------------------------------------------------------------------------------------------------------
 * Matches: a Hyperscan match handler that keeps (pattern id, end offset) of every match, in C; by_line(data)
 * gives (line index, pattern) for each, in the order reported: exactly kb.Scanner.scan_lines's walk (a match
 * belongs to the line holding its last byte; the lines are counted forward from the last match's). The echo
 * lines of every failed step's last lines are found so (blocks.echo_lines).
 */

typedef struct {
    PyObject_HEAD
    unsigned int *ids;
    Py_ssize_t *ends;
    Py_ssize_t size;
    Py_ssize_t capacity;
} Matches;

static void Matches_dealloc(Matches *self) {
    PyMem_Free(self->ids);
    PyMem_Free(self->ends);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Matches_call(Matches *self, PyObject *args, PyObject *kwargs) {
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 3 || (kwargs != NULL && PyDict_GET_SIZE(kwargs) > 0)) {
        PyErr_SetString(PyExc_TypeError, "Matches(id, from, to, flags, context): a Hyperscan match handler");
        return NULL;
    }
    unsigned long id = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(args, 0));
    if (id == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(args, 2));
    if (end == -1 && PyErr_Occurred()) return NULL;
    if (self->size == self->capacity) {
        Py_ssize_t capacity = self->capacity ? self->capacity * 2 : 64;
        unsigned int *ids = PyMem_Realloc(self->ids, sizeof(unsigned int) * (size_t)capacity);
        if (ids == NULL) return PyErr_NoMemory();
        self->ids = ids;
        Py_ssize_t *ends = PyMem_Realloc(self->ends, sizeof(Py_ssize_t) * (size_t)capacity);
        if (ends == NULL) return PyErr_NoMemory();
        self->ends = ends;
        self->capacity = capacity;
    }
    self->ids[self->size] = (unsigned int)id;
    self->ends[self->size] = end;
    self->size++;
    Py_RETURN_NONE; /* None: Hyperscan goes on scanning */
}

static PyObject *Matches_by_line(Matches *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *data = view.buf;
    PyObject *out = PyList_New(self->size);
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t pos = 0, index = 0;
    for (Py_ssize_t i = 0; i < self->size; i++) {
        Py_ssize_t last = self->ends[i] - 1; /* the match's last byte is on the match's line */
        if (last > view.len) last = view.len;
        if (last > pos) {
            index += count_newlines(data + pos, last - pos);
            pos = last;
        }
        PyObject *pair = Py_BuildValue("(nI)", index, self->ids[i]);
        if (pair == NULL) {
            Py_DECREF(out);
            PyBuffer_Release(&view);
            return NULL;
        }
        PyList_SET_ITEM(out, i, pair);
    }
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef Matches_methods[] = {
    {"by_line", (PyCFunction)Matches_by_line, METH_O,
     "by_line(data) -> [(line index, pattern id)] of every match, in the order reported."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MatchesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "worker.analysis._fast.Matches",
    .tp_doc = "Matches() -> a Hyperscan match handler keeping every match's pattern id and end (see by_line()).",
    .tp_basicsize = sizeof(Matches),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Matches_dealloc,
    .tp_call = (ternaryfunc)Matches_call,
    .tp_methods = Matches_methods,
};

static int compare_offsets(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* The distinct lines of one select_lines call: (hash, start, length) -> the bytes and key objects made for it
 * (borrowed: the result lists hold them). Open addressing, kept at most half full. */
typedef struct {
    uint64_t hash;
    Py_ssize_t start;
    Py_ssize_t length;
    PyObject *text; /* NULL: empty slot */
    PyObject *key;
} Interned;

typedef struct {
    Interned *slots;
    const unsigned char *data;
    Py_ssize_t capacity; /* a power of two */
    Py_ssize_t used;
} InternTable;

static uint64_t line_hash(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = (h ^ word) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t word = 0;
    memcpy(&word, p, (size_t)n);
    h = (h ^ word) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

static int intern_init(InternTable *table, const void *data) {
    table->data = data;
    table->capacity = 1024;
    table->used = 0;
    table->slots = PyMem_Calloc((size_t)table->capacity, sizeof(Interned));
    if (table->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The slot of the line at data[start:start + length]: its objects, or the empty slot to fill (hash and place
 * set). NULL on error. */
static Interned *intern_find(InternTable *table, const unsigned char *data, Py_ssize_t start, Py_ssize_t length) {
    if (2 * (table->used + 1) > table->capacity) { /* grow first: the slot returned stays valid */
        Py_ssize_t capacity = table->capacity * 2;
        Interned *slots = PyMem_Calloc((size_t)capacity, sizeof(Interned));
        if (slots == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        for (Py_ssize_t i = 0; i < table->capacity; i++) {
            Interned *old = &table->slots[i];
            if (old->text == NULL) continue;
            Py_ssize_t j = (Py_ssize_t)(old->hash & (uint64_t)(capacity - 1));
            while (slots[j].text != NULL) j = (j + 1) & (capacity - 1);
            slots[j] = *old;
        }
        PyMem_Free(table->slots);
        table->slots = slots;
        table->capacity = capacity;
    }
    uint64_t hash = line_hash(data + start, length);
    Py_ssize_t j = (Py_ssize_t)(hash & (uint64_t)(table->capacity - 1));
    for (;;) {
        Interned *slot = &table->slots[j];
        if (slot->text == NULL) {
            slot->hash = hash;
            slot->start = start;
            slot->length = length;
            return slot;
        }
        if (slot->hash == hash && slot->length == length &&
            memcmp(data + slot->start, data + start, (size_t)length) == 0) {
            return slot;
        }
        j = (j + 1) & (table->capacity - 1);
    }
}

static int intern_add(InternTable *table, Interned *slot, PyObject *text, PyObject *key) {
    slot->text = text;
    slot->key = key;
    table->used++;
    return 0;
}

static PyObject *select_lines(PyObject *module, PyObject *args) {
    Py_buffer view;
    PyObject *ends_arg;
    if (!PyArg_ParseTuple(args, "y*O:select_lines", &view, &ends_arg)) {
        return NULL;
    }
    PyObject *numbers = NULL, *starts = NULL, *lines = NULL, *keys = NULL, *ends_seq = NULL;
    Py_ssize_t *ends = NULL;
    Py_ssize_t count;
    int sorted = 1;
    InternTable table = {NULL, NULL, 0, 0};
    if (Py_IS_TYPE(ends_arg, &EndsType)) { /* copied: sorting must not change the collector */
        Ends *collected = (Ends *)ends_arg;
        count = collected->size;
        ends = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(count > 0 ? count : 1));
        if (ends == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        if (count > 0) memcpy(ends, collected->ends, sizeof(Py_ssize_t) * (size_t)count);
        for (Py_ssize_t i = 1; i < count; i++) {
            if (ends[i] < ends[i - 1]) sorted = 0;
        }
    } else {
        ends_seq = PySequence_Fast(ends_arg, "ends must be a sequence of int");
        if (ends_seq == NULL) goto fail;
        count = PySequence_Fast_GET_SIZE(ends_seq);
        ends = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(count > 0 ? count : 1));
        if (ends == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        for (Py_ssize_t i = 0; i < count; i++) {
            Py_ssize_t end = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(ends_seq, i));
            if (end == -1 && PyErr_Occurred()) goto fail;
            ends[i] = end;
            if (i > 0 && end < ends[i - 1]) sorted = 0;
        }
    }
    if (!sorted) {
        qsort(ends, (size_t)count, sizeof(Py_ssize_t), compare_offsets);
    }
    numbers = PyList_New(0);
    starts = PyList_New(0);
    lines = PyList_New(0);
    keys = PyList_New(0);
    if (numbers == NULL || starts == NULL || lines == NULL || keys == NULL) goto fail;
    if (intern_init(&table, view.buf) < 0) goto fail;

    const unsigned char *data = view.buf;
    Py_ssize_t size = view.len, pos = 0, line = 0, previous = -1;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t last = ends[i] - 1; /* the match's last byte */
        if (last < 0) last = 0;
        if (last > size) last = size;
        if (last > pos) {
            line += count_newlines(data + pos, last - pos);
            pos = last;
        }
        if (line == previous) continue;
        previous = line;
        Py_ssize_t start = last; /* lines are short: a plain walk back (memrchr is not portable) */
        while (start > 0 && data[start - 1] != '\n') start--;
        const unsigned char *after = memchr(data + start, '\n', (size_t)(size - start));
        Py_ssize_t stop = after ? after - data : size;
        PyObject *number = PyLong_FromSsize_t(line);
        PyObject *offset = PyLong_FromSsize_t(start);
        PyObject *text, *key;
        /* A line met before in this block is the same objects again: no copy, no key to mask, and the hashes
         * the rule memo and the repeat table compute are cached in them (a failure repeated in a dense log). */
        Interned *slot = intern_find(&table, data, start, stop - start);
        if (slot == NULL) goto fail;
        if (slot->text != NULL) {
            text = Py_NewRef(slot->text);
            key = Py_NewRef(slot->key);
        } else {
            text = PyBytes_FromStringAndSize((const char *)data + start, stop - start);
            /* A line without digits is its own key: the same object, whose hash the rule memo has computed. */
            key = has_digit(data + start, stop - start) ? masked(data + start, stop - start)
                                                        : (Py_XINCREF(text), text);
            if (text != NULL && key != NULL && intern_add(&table, slot, text, key) < 0) {
                Py_DECREF(text);
                Py_DECREF(key);
                goto fail;
            }
        }
        int failed = number == NULL || offset == NULL || text == NULL || key == NULL ||
                     PyList_Append(numbers, number) < 0 || PyList_Append(starts, offset) < 0 ||
                     PyList_Append(lines, text) < 0 || PyList_Append(keys, key) < 0;
        Py_XDECREF(number);
        Py_XDECREF(offset);
        Py_XDECREF(text);
        Py_XDECREF(key);
        if (failed) goto fail;
    }
    Py_ssize_t newlines = line + count_newlines(data + pos, size - pos);
    PyMem_Free(table.slots);
    PyMem_Free(ends);
    Py_XDECREF(ends_seq);
    PyBuffer_Release(&view);
    return Py_BuildValue("(nNNNN)", newlines, numbers, starts, lines, keys);

fail:
    PyMem_Free(table.slots);
    PyMem_Free(ends);
    Py_XDECREF(ends_seq);
    Py_XDECREF(numbers);
    Py_XDECREF(starts);
    Py_XDECREF(lines);
    Py_XDECREF(keys);
    PyBuffer_Release(&view);
    return NULL;
}

/* ------------------------------------------------------------------------------------------------------------
 * line_text(data, start) -> (text | None, end)
 *
 * The line of `data` starting at offset `start`: `end` is the offset of its '\n' (or len(data)), and `text` is
 * reader.clean_line(data[start:end]) when that is a plain decode: no carriage return, no tab, at most
 * MAX_LINE_CHARS bytes (so no more characters), not a Travis control line, and ending, once its trailing ASCII
 * whitespace is gone, with an ASCII character (Python's str.rstrip also strips Unicode spaces). Otherwise `text`
 * is None and the caller runs clean_line. Decoding a prefix that ends on an ASCII byte gives the same characters
 * as decoding the whole line (an ASCII byte is never part of a multi-byte sequence), so the result is the same.
 */

#define MAX_LINE_CHARS 1000 /* reader.MAX_LINE_CHARS */

static inline int is_ascii_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f); }

/* The line of `data` starting at `start`: its text when it is a plain decode (a new reference), else None; `*end_out`
 * is the offset of its '\n' (or the size). NULL on error. */
static PyObject *plain_text(const unsigned char *data, Py_ssize_t size, Py_ssize_t start, Py_ssize_t *end_out) {
    if (start < 0) start = 0;
    if (start > size) start = size;
    const unsigned char *p = data + start;
    const unsigned char *newline = memchr(p, '\n', (size_t)(size - start));
    Py_ssize_t end = newline ? newline - data : size;
    *end_out = end;
    Py_ssize_t n = end - start;
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n')) n--;
    int plain = n <= MAX_LINE_CHARS && memchr(p, '\r', (size_t)n) == NULL && memchr(p, '\t', (size_t)n) == NULL &&
                !(n >= 7 && memcmp(p, "travis_", 7) == 0);
    if (plain) {
        while (n > 0 && is_ascii_space(p[n - 1])) n--;
        plain = n == 0 || p[n - 1] < 0x80;
    }
    if (plain) return PyUnicode_DecodeUTF8((const char *)p, n, "replace");
    Py_RETURN_NONE;
}

static PyObject *line_text(PyObject *module, PyObject *args) {
    Py_buffer view;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "y*n:line_text", &view, &start)) {
        return NULL;
    }
    Py_ssize_t end;
    PyObject *text = plain_text(view.buf, view.len, start, &end);
    PyBuffer_Release(&view);
    if (text == NULL) return NULL;
    return Py_BuildValue("(Nn)", text, end);
}

/* ------------------------------------------------------------------------------------------------------------
 * BlockLines(data, first_line, last_line): random access to the lines of one block by line number, and
 * continue_block(cand, lines, last_line, tail): the continuation loop over them.
 *
 * Exactly worker/analysis/lines.py's BlockLines (same methods, same `texts` dict of the lines read so far) and
 * growth.continue_block: a few hundred thousand lines per error-dense log are read and tested here, one
 * Python call each in the pure twins. A line's offset is found from the nearest known one (the anchors: the
 * block's first and last line, every selected line, every line located so far, and the line after the last
 * one read), walking with memchr; the offsets depend on the bytes alone, so which anchor is used changes
 * nothing. The predicates on a line's text (growth.continues, blocks.is_blank, the section rules) stay in
 * Python: set_clean_line() and set_continuation() give them once (lines.py, growth.py).
 */

static PyObject *helper_clean_line = NULL;     /* reader.clean_line */
static PyObject *helper_continues = NULL;      /* growth.continues(previous, text[, after_blank]) */
static PyObject *helper_is_blank = NULL;       /* blocks.is_blank, for a line a runner prefix may start */
static PyObject *helper_section_end = NULL;    /* SECTION_END.match(strip_prefix(text)) is not None */
static PyObject *helper_ends_section = NULL;   /* blocks.ends_section(cand, text) */

static PyObject *set_clean_line(PyObject *module, PyObject *arg) {
    Py_XSETREF(helper_clean_line, Py_NewRef(arg));
    Py_RETURN_NONE;
}

static Py_ssize_t max_section_lines = 0, max_block_lines = 0, max_continuation = 0;
static int allow_blank_in_message = 1;

static PyObject *helper_announces_detail = NULL; /* blocks.announces_detail */
static PyObject *helper_strip_prefix = NULL;      /* reader.strip_prefix */
static Py_ssize_t merge_gap = 0;

static PyObject *set_continuation(PyObject *module, PyObject *args) {
    PyObject *cont, *blank_of, *section_end, *ends_section_of, *announces, *strip;
    Py_ssize_t section_lines, block_lines, continuation, gap;
    int allow_blank;
    if (!PyArg_ParseTuple(args, "OOOOOOnnnnp:set_continuation", &cont, &blank_of, &section_end, &ends_section_of,
                          &announces, &strip, &section_lines, &block_lines, &continuation, &gap, &allow_blank)) {
        return NULL;
    }
    Py_XSETREF(helper_announces_detail, Py_NewRef(announces));
    Py_XSETREF(helper_strip_prefix, Py_NewRef(strip));
    merge_gap = gap;
    Py_XSETREF(helper_continues, Py_NewRef(cont));
    Py_XSETREF(helper_is_blank, Py_NewRef(blank_of));
    Py_XSETREF(helper_section_end, Py_NewRef(section_end));
    Py_XSETREF(helper_ends_section, Py_NewRef(ends_section_of));
    max_section_lines = section_lines;
    max_block_lines = block_lines;
    max_continuation = continuation;
    allow_blank_in_message = allow_blank;
    Py_RETURN_NONE;
}

#define LINE_CACHE 1024 /* direct-mapped: the start of recently met lines (the one after each line read) */

typedef struct {
    PyObject_HEAD
    PyObject *data; /* bytes */
    const unsigned char *buf;
    Py_ssize_t size;
    Py_ssize_t first_line;
    Py_ssize_t last_line;
    PyObject *texts; /* dict: line number -> cleaned text of the lines read so far */
    Py_ssize_t *anchor_lines; /* sorted */
    Py_ssize_t *anchor_offsets;
    Py_ssize_t anchors;
    Py_ssize_t anchor_capacity;
    Py_ssize_t cache_line[LINE_CACHE];
    Py_ssize_t cache_offset[LINE_CACHE];
} BlockLines;

static PyTypeObject BlockLinesType;

static int BlockLines_anchor(BlockLines *self, Py_ssize_t line, Py_ssize_t offset) {
    Py_ssize_t lo = 0, hi = self->anchors;
    while (lo < hi) { /* bisect_left */
        Py_ssize_t mid = (lo + hi) / 2;
        if (self->anchor_lines[mid] < line) lo = mid + 1;
        else hi = mid;
    }
    Py_ssize_t slot = line & (LINE_CACHE - 1);
    self->cache_line[slot] = line;
    self->cache_offset[slot] = offset;
    if (lo < self->anchors && self->anchor_lines[lo] == line) return 0; /* kept: as lines.py does */
    if (self->anchors == self->anchor_capacity) {
        Py_ssize_t capacity = self->anchor_capacity ? self->anchor_capacity * 2 : 64;
        Py_ssize_t *l = PyMem_Realloc(self->anchor_lines, sizeof(Py_ssize_t) * (size_t)capacity);
        if (l == NULL) return -1;
        self->anchor_lines = l;
        Py_ssize_t *o = PyMem_Realloc(self->anchor_offsets, sizeof(Py_ssize_t) * (size_t)capacity);
        if (o == NULL) return -1;
        self->anchor_offsets = o;
        self->anchor_capacity = capacity;
    }
    memmove(self->anchor_lines + lo + 1, self->anchor_lines + lo, sizeof(Py_ssize_t) * (size_t)(self->anchors - lo));
    memmove(self->anchor_offsets + lo + 1, self->anchor_offsets + lo,
            sizeof(Py_ssize_t) * (size_t)(self->anchors - lo));
    self->anchor_lines[lo] = line;
    self->anchor_offsets[lo] = offset;
    self->anchors++;
    return 0;
}

/* The offset where line `line` starts (len(data) past the end), as lines.BlockLines.offset_of; -1 on error. */
static Py_ssize_t BlockLines_offset(BlockLines *self, Py_ssize_t line) {
    Py_ssize_t slot = line & (LINE_CACHE - 1);
    if (self->cache_line[slot] == line) return self->cache_offset[slot];
    const unsigned char *data = self->buf;
    Py_ssize_t lo = 0, hi = self->anchors;
    while (lo < hi) { /* bisect_right - 1 */
        Py_ssize_t mid = (lo + hi) / 2;
        if (self->anchor_lines[mid] <= line) lo = mid + 1;
        else hi = mid;
    }
    Py_ssize_t i = lo - 1; /* the first line is always an anchor, and line >= first_line */
    if (i < 0) i = 0;
    Py_ssize_t below = self->anchor_lines[i], off = self->anchor_offsets[i];
    if (below == line) return off;
    if (i + 1 < self->anchors && self->anchor_lines[i + 1] - line < line - below) {
        Py_ssize_t above = self->anchor_lines[i + 1];
        off = self->anchor_offsets[i + 1];
        for (Py_ssize_t k = 0; k < above - line; k++) { /* data.rfind(b"\n", 0, off - 1) + 1 */
            Py_ssize_t p = off - 2;
            while (p >= 0 && data[p] != '\n') p--;
            off = p + 1;
        }
    } else {
        for (Py_ssize_t k = 0; k < line - below; k++) {
            const unsigned char *nl =
                off < self->size ? memchr(data + off, '\n', (size_t)(self->size - off)) : NULL;
            if (nl == NULL) return self->size;
            off = nl - data + 1;
        }
    }
    if (BlockLines_anchor(self, line, off) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return off;
}

/* The cleaned text of the line starting at `start` (a new reference), and where it ends; NULL on error. */
static PyObject *text_at(const unsigned char *data, Py_ssize_t size, Py_ssize_t start, Py_ssize_t *end_out);

/* Line `number`'s text: a borrowed reference from `texts`, Py_None outside the block, NULL on error. */
static PyObject *BlockLines_get_line(BlockLines *self, Py_ssize_t number) {
    PyObject *key = PyLong_FromSsize_t(number);
    if (key == NULL) return NULL;
    PyObject *text = PyDict_GetItemWithError(self->texts, key);
    if (text != NULL || PyErr_Occurred()) {
        Py_DECREF(key);
        return text;
    }
    if (number < self->first_line || number > self->last_line) {
        Py_DECREF(key);
        return Py_None;
    }
    Py_ssize_t off = BlockLines_offset(self, number);
    if (off < 0 || off >= self->size) {
        Py_DECREF(key);
        return off < 0 ? NULL : Py_None;
    }
    Py_ssize_t end;
    text = text_at(self->buf, self->size, off, &end);
    if (text == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    int failed = PyDict_SetItem(self->texts, key, text);
    Py_DECREF(key);
    Py_DECREF(text); /* the dict holds it */
    if (failed < 0) return NULL;
    Py_ssize_t slot = (number + 1) & (LINE_CACHE - 1); /* the next line starts there: reading on is cheap */
    self->cache_line[slot] = number + 1;
    self->cache_offset[slot] = end + 1;
    return text;
}

static PyObject *BlockLines_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *data;
    Py_ssize_t first_line, last_line;
    static char *kwlist[] = {"data", "first_line", "last_line", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!nn:BlockLines", kwlist, &PyBytes_Type, &data, &first_line,
                                     &last_line)) {
        return NULL;
    }
    BlockLines *self = (BlockLines *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->data = Py_NewRef(data);
    self->buf = (const unsigned char *)PyBytes_AS_STRING(data);
    self->size = PyBytes_GET_SIZE(data);
    self->first_line = first_line;
    self->last_line = last_line;
    for (Py_ssize_t i = 0; i < LINE_CACHE; i++) self->cache_line[i] = PY_SSIZE_T_MIN;
    self->texts = PyDict_New();
    if (self->texts == NULL || BlockLines_anchor(self, first_line, 0) < 0) goto fail;
    if (last_line > first_line) {
        Py_ssize_t p = self->size - 2; /* data.rfind(b"\n", 0, len(data) - 1) + 1 */
        while (p >= 0 && self->buf[p] != '\n') p--;
        if (BlockLines_anchor(self, last_line, p + 1) < 0) goto fail;
    }
    return (PyObject *)self;
fail:
    if (!PyErr_Occurred()) PyErr_NoMemory();
    Py_DECREF(self);
    return NULL;
}

static void BlockLines_dealloc(BlockLines *self) {
    Py_XDECREF(self->data);
    Py_XDECREF(self->texts);
    PyMem_Free(self->anchor_lines);
    PyMem_Free(self->anchor_offsets);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *BlockLines_add_anchor(BlockLines *self, PyObject *args) {
    Py_ssize_t line, offset;
    if (!PyArg_ParseTuple(args, "nn:add_anchor", &line, &offset)) return NULL;
    if (BlockLines_anchor(self, line, offset) < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *BlockLines_offset_of(BlockLines *self, PyObject *arg) {
    Py_ssize_t line = PyLong_AsSsize_t(arg);
    if (line == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t off = BlockLines_offset(self, line);
    return off < 0 ? NULL : PyLong_FromSsize_t(off);
}

static PyObject *BlockLines_line(BlockLines *self, PyObject *arg) {
    Py_ssize_t number = PyLong_AsSsize_t(arg);
    if (number == -1 && PyErr_Occurred()) return NULL;
    PyObject *text = BlockLines_get_line(self, number);
    return text == NULL ? NULL : Py_NewRef(text);
}

static PyObject *BlockLines_get(BlockLines *self, PyObject *args) {
    Py_ssize_t first, last;
    if (!PyArg_ParseTuple(args, "nn:get", &first, &last)) return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    if (first < self->first_line) first = self->first_line;
    if (last > self->last_line) last = self->last_line;
    for (Py_ssize_t number = first; number <= last; number++) {
        PyObject *text = BlockLines_get_line(self, number);
        if (text == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        if (text == Py_None) break;
        if (PyList_Append(out, text) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyMethodDef BlockLines_methods[] = {
    {"add_anchor", (PyCFunction)BlockLines_add_anchor, METH_VARARGS, "add_anchor(line, offset): line starts there."},
    {"offset_of", (PyCFunction)BlockLines_offset_of, METH_O, "offset_of(line) -> the offset where it starts."},
    {"line", (PyCFunction)BlockLines_line, METH_O, "line(number) -> its cleaned text, None outside the block."},
    {"get", (PyCFunction)BlockLines_get, METH_VARARGS, "get(first, last) -> the cleaned text of those lines."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef BlockLines_members[] = {
    {"data", T_OBJECT_EX, offsetof(BlockLines, data), READONLY, "the block's bytes"},
    {"first_line", T_PYSSIZET, offsetof(BlockLines, first_line), READONLY, "its first line's number"},
    {"last_line", T_PYSSIZET, offsetof(BlockLines, last_line), READONLY, "its last line's number"},
    {"texts", T_OBJECT_EX, offsetof(BlockLines, texts), READONLY, "the cleaned text of each line read, by number"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject BlockLinesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "worker.analysis._fast.BlockLines",
    .tp_doc = "BlockLines(data, first_line, last_line): the lines of one block by number (see lines.py).",
    .tp_basicsize = sizeof(BlockLines),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = BlockLines_new,
    .tp_dealloc = (destructor)BlockLines_dealloc,
    .tp_methods = BlockLines_methods,
    .tp_members = BlockLines_members,
};

/* The cleaned text of the line starting at `start` (a new reference) and the offset of its end; NULL on error. */
static PyObject *text_at(const unsigned char *data, Py_ssize_t size, Py_ssize_t start, Py_ssize_t *end_out) {
    Py_ssize_t end;
    PyObject *text = plain_text(data, size, start, &end);
    *end_out = end;
    if (text != Py_None) return text;
    Py_DECREF(text);
    if (helper_clean_line == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_fast.set_clean_line() was not called");
        return NULL;
    }
    PyObject *raw = PyBytes_FromStringAndSize((const char *)data + start, end - start);
    if (raw == NULL) return NULL;
    text = PyObject_CallOneArg(helper_clean_line, raw);
    Py_DECREF(raw);
    return text;
}


/* growth.line_at: line `number` from the block or the tail ring before it; a new reference (None: neither). */
static PyObject *line_at(BlockLines *lines, PyObject *tail, Py_ssize_t number) {
    if (number >= lines->first_line) {
        PyObject *text = BlockLines_get_line(lines, number);
        return text == NULL ? NULL : Py_NewRef(text);
    }
    Py_ssize_t back = lines->first_line - number;
    Py_ssize_t size = PyObject_Length(tail);
    if (size < 0) return NULL;
    if (back > size) Py_RETURN_NONE;
    return PySequence_GetItem(tail, size - back);
}

/* growth.blank: 1, 0, or -1 on error. */
static int blank(PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n == 0) return 1;
    int kind = PyUnicode_KIND(text);
    const void *chars = PyUnicode_DATA(text);
    Py_UCS4 c = PyUnicode_READ(kind, chars, 0);
    if ((c >= '0' && c <= '9') || c == '[' || c == '#' || c == 0xfeff) { /* reader.PREFIX_FIRST */
        PyObject *result = PyObject_CallOneArg(helper_is_blank, text);
        if (result == NULL) return -1;
        int truth = PyObject_IsTrue(result);
        Py_DECREF(result);
        return truth;
    }
    for (Py_ssize_t i = 0; i < n; i++) { /* not text.strip() */
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, chars, i))) return 0;
    }
    return 1;
}

static int truth_of(PyObject *result) {
    if (result == NULL) return -1;
    int truth = PyObject_IsTrue(result);
    Py_DECREF(result);
    return truth;
}

static int continues(PyObject *previous, PyObject *text, int after_blank) {
    return truth_of(after_blank ? PyObject_CallFunctionObjArgs(helper_continues, previous, text, Py_True, NULL)
                                : PyObject_CallFunctionObjArgs(helper_continues, previous, text, NULL));
}

static int ends_section(PyObject *cand, PyObject *until, PyObject *text) {
    if (until == Py_None) return 0;
    return truth_of(PyObject_CallFunctionObjArgs(helper_ends_section, cand, text, NULL));
}

static PyObject *settle(PyObject *cand) {
    static PyObject *settled_name = NULL;
    if (settled_name == NULL && (settled_name = PyUnicode_InternFromString("settled")) == NULL) return NULL;
    if (PyObject_SetAttr(cand, settled_name, Py_True) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *get_attr(PyObject *object, const char *name, PyObject **interned) {
    if (*interned == NULL && (*interned = PyUnicode_InternFromString(name)) == NULL) return NULL;
    return PyObject_GetAttr(object, *interned);
}

/* growth.continue_block, lines read from a BlockLines: Py_None (a new reference), or NULL on error. */
static PyObject *continue_c(PyObject *cand, BlockLines *lines, Py_ssize_t last_line, PyObject *tail) {
    static PyObject *n_settled, *n_lines, *n_start, *n_until, *n_last_hit, *n_section, *n_last_text;
    PyObject *value = get_attr(cand, "settled", &n_settled);
    int settled = truth_of(value);
    if (settled != 0) return settled < 0 ? NULL : Py_NewRef(Py_None);
    PyObject *texts = NULL, *until = NULL, *last_text = NULL, *result = NULL, *text = NULL, *following = NULL;
    texts = get_attr(cand, "lines", &n_lines);
    if (texts == NULL) goto done;
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "continue_block: cand.lines must be a list");
        goto done;
    }
    value = get_attr(cand, "start", &n_start);
    if (value == NULL) goto done;
    Py_ssize_t start = PyLong_AsSsize_t(value);
    Py_DECREF(value);
    if (start == -1 && PyErr_Occurred()) goto done;
    if (start + PyList_GET_SIZE(texts) - 1 >= last_line) { /* the usual case: nothing new to read */
        result = Py_NewRef(Py_None);
        goto done;
    }
    until = get_attr(cand, "until", &n_until);
    if (until == NULL) goto done;
    Py_ssize_t limit = until != Py_None ? max_section_lines : max_block_lines;
    int follow = until == Py_None;
    value = get_attr(cand, "last_hit", &n_last_hit);
    if (value == NULL) goto done;
    Py_ssize_t last_hit = PyLong_AsSsize_t(value);
    Py_DECREF(value);
    if (last_hit == -1 && PyErr_Occurred()) goto done;
    int section = truth_of(get_attr(cand, "section", &n_section));
    if (section < 0) goto done;
    last_text = get_attr(cand, "last_text", &n_last_text);
    if (last_text == NULL) goto done;
    for (;;) {
        Py_CLEAR(text);
        Py_CLEAR(following);
        Py_ssize_t count = PyList_GET_SIZE(texts);
        Py_ssize_t end = start + count - 1;
        if (end >= last_line) break;
        if (count >= limit || (follow && end - last_hit >= max_continuation)) {
            result = settle(cand);
            goto done;
        }
        text = line_at(lines, tail, end + 1);
        if (text == NULL) goto done;
        int is_blank = 0;
        if (text != Py_None) {
            if (!PyUnicode_Check(text)) {
                PyErr_SetString(PyExc_TypeError, "continue_block: a line is not a str");
                goto done;
            }
            is_blank = blank(text);
            if (is_blank < 0) goto done;
        }
        if (text != Py_None && allow_blank_in_message && is_blank) {
            /* A blank line inside a message when what follows still continues it. */
            if (end + 2 > last_line) break; /* decide when the next line is available */
            following = line_at(lines, tail, end + 2);
            if (following == NULL) goto done;
            int joined = 0;
            if (following != Py_None) {
                if (!PyUnicode_Check(following)) {
                    PyErr_SetString(PyExc_TypeError, "continue_block: a line is not a str");
                    goto done;
                }
                int b = blank(following);
                if (b < 0) goto done;
                if (!b) {
                    if (section) {
                        int e = truth_of(PyObject_CallOneArg(helper_section_end, following));
                        if (e < 0) goto done;
                        joined = !e;
                    }
                    if (!joined) {
                        joined = continues(last_text, following, 1);
                        if (joined < 0) goto done;
                    }
                }
            }
            if (joined) {
                if (PyList_Append(texts, text) < 0 || PyList_Append(texts, following) < 0) goto done;
                int e = ends_section(cand, until, following);
                if (e < 0) goto done;
                if (e) {
                    result = settle(cand);
                    goto done;
                }
                continue;
            }
        }
        if (section && text != Py_None && !is_blank) {
            int e = truth_of(PyObject_CallOneArg(helper_section_end, text));
            if (e < 0) goto done;
            if (e) { /* the next report, or the next part of the run */
                result = settle(cand);
                goto done;
            }
            if (PyList_Append(texts, text) < 0) goto done;
            e = ends_section(cand, until, text);
            if (e < 0) goto done;
            if (e) {
                result = settle(cand);
                goto done;
            }
            continue;
        }
        int goes_on = 0;
        if (text != Py_None) {
            goes_on = continues(last_text, text, 0);
            if (goes_on < 0) goto done;
        }
        if (!goes_on) {
            result = settle(cand);
            goto done;
        }
        if (PyList_Append(texts, text) < 0) goto done;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(text);
    Py_XDECREF(following);
    Py_XDECREF(texts);
    Py_XDECREF(until);
    Py_XDECREF(last_text);
    return result;
}

/* continue_block(cand, lines, last_line, tail): growth.continue_block, lines read from a BlockLines. */
static PyObject *continue_block(PyObject *module, PyObject *args) {
    PyObject *cand, *tail;
    BlockLines *lines;
    Py_ssize_t last_line;
    if (!PyArg_ParseTuple(args, "OO!nO:continue_block", &cand, &BlockLinesType, &lines, &last_line, &tail)) {
        return NULL;
    }
    if (helper_continues == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_fast.set_continuation() was not called");
        return NULL;
    }
    return continue_c(cand, lines, last_line, tail);
}

static int set_attr(PyObject *object, const char *name, PyObject **interned, PyObject *value) {
    if (*interned == NULL && (*interned = PyUnicode_InternFromString(name)) == NULL) return -1;
    return PyObject_SetAttr(object, *interned, value);
}

static int ssize_attr(PyObject *object, const char *name, PyObject **interned, Py_ssize_t *out) {
    PyObject *value = get_attr(object, name, interned);
    if (value == NULL) return -1;
    *out = PyLong_AsSsize_t(value);
    Py_DECREF(value);
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

/* Append growth._text(state, lines, first, last) to `texts`: the lines from the tail ring before the block (those
 * older than the ring left out), then from the block. */
static int extend_text(PyObject *texts, BlockLines *lines, PyObject *tail, Py_ssize_t first, Py_ssize_t last) {
    if (first < lines->first_line) {
        Py_ssize_t size = PyObject_Length(tail);
        if (size < 0) return -1;
        Py_ssize_t oldest = lines->first_line - size;
        Py_ssize_t upto = last < lines->first_line - 1 ? last : lines->first_line - 1;
        for (Py_ssize_t n = first > oldest ? first : oldest; n <= upto; n++) {
            PyObject *text = PySequence_GetItem(tail, n - oldest);
            if (text == NULL) return -1;
            int failed = PyList_Append(texts, text);
            Py_DECREF(text);
            if (failed < 0) return -1;
        }
    }
    Py_ssize_t from = first > lines->first_line ? first : lines->first_line;
    Py_ssize_t to = last < lines->last_line ? last : lines->last_line;
    for (Py_ssize_t n = from; n <= to; n++) {
        PyObject *text = BlockLines_get_line(lines, n);
        if (text == NULL) return -1;
        if (text == Py_None) break;
        if (PyList_Append(texts, text) < 0) return -1;
    }
    return 0;
}

/* message_start(lines, line, floor, max_header, tail) -> first: growth._message_start over a BlockLines (the
 * first line of the message `line` belongs to: up through the lines it continues, at most `max_header` above
 * it, never at or above `floor`). Called for every new block (thousands per MB of a dense log). */
static PyObject *message_start(PyObject *module, PyObject *args) {
    PyObject *tail;
    BlockLines *lines;
    Py_ssize_t line_no, floor, max_header;
    if (!PyArg_ParseTuple(args, "O!nnnO:message_start", &BlockLinesType, &lines, &line_no, &floor, &max_header,
                          &tail)) {
        return NULL;
    }
    if (helper_continues == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_fast.set_continuation() was not called");
        return NULL;
    }
    Py_ssize_t first = line_no;
    PyObject *current = line_at(lines, tail, line_no);
    if (current == NULL) return NULL;
    while (current != Py_None && line_no - first < max_header && first - 1 > floor) {
        PyObject *above = line_at(lines, tail, first - 1);
        if (above == NULL) goto fail;
        if (above == Py_None) {
            Py_DECREF(above);
            break;
        }
        int stop = blank(above);
        if (stop == 0) {
            int joined = continues(above, current, 0);
            stop = joined < 0 ? -1 : !joined;
        }
        if (stop != 0) {
            Py_DECREF(above);
            if (stop < 0) goto fail;
            break;
        }
        first -= 1;
        Py_SETREF(current, above);
    }
    Py_DECREF(current);
    return PyLong_FromSsize_t(first);
fail:
    Py_DECREF(current);
    return NULL;
}

/* join_hit(cand, lines, line, section, hit, tail) -> bool: growth.on_hit's test and work when a block is open
 * (joins_open, then _extend_to, the block's last hit and message, its hits, settled and section); False, with
 * the block only continued up to the line before, when the hit does not join it. */
static PyObject *join_hit(PyObject *module, PyObject *args) {
    PyObject *cand, *hit, *tail;
    BlockLines *lines;
    Py_ssize_t line_no;
    int section;
    if (!PyArg_ParseTuple(args, "OO!npOO:join_hit", &cand, &BlockLinesType, &lines, &line_no, &section, &hit,
                          &tail)) {
        return NULL;
    }
    if (helper_continues == NULL || helper_announces_detail == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_fast.set_continuation() was not called");
        return NULL;
    }
    static PyObject *n_until, *n_settled, *n_start, *n_lines, *n_last_hit, *n_last_text, *n_hits, *n_section;
    PyObject *done = continue_c(cand, lines, line_no - 1, tail); /* joins_open: the block continued first */
    if (done == NULL) return NULL;
    Py_DECREF(done);
    PyObject *until = NULL, *texts = NULL, *last_text = NULL, *result = NULL, *hits = NULL, *stripped = NULL;
    until = get_attr(cand, "until", &n_until);
    if (until == NULL) goto fail;
    int complete = 0;
    if (until != Py_None) {
        complete = truth_of(get_attr(cand, "settled", &n_settled));
        if (complete < 0) goto fail;
    }
    Py_ssize_t start;
    if (ssize_attr(cand, "start", &n_start, &start) < 0) goto fail;
    texts = get_attr(cand, "lines", &n_lines);
    if (texts == NULL) goto fail;
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "join_hit: cand.lines must be a list");
        goto fail;
    }
    Py_ssize_t end = start + PyList_GET_SIZE(texts) - 1;
    Py_ssize_t limit = until != Py_None ? max_section_lines : max_block_lines;
    if (!(line_no - end <= merge_gap && line_no - start < limit && !section && !complete)) {
        result = Py_NewRef(Py_False);
        goto fail; /* not an error: the common exit */
    }
    if (line_no > end && extend_text(texts, lines, tail, end + 1, line_no) < 0) goto fail; /* _extend_to */
    PyObject *number = PyLong_FromSsize_t(line_no);
    if (number == NULL) goto fail;
    int failed = set_attr(cand, "last_hit", &n_last_hit, number);
    Py_DECREF(number);
    if (failed < 0) goto fail;
    Py_ssize_t count = PyList_GET_SIZE(texts);
    /* No text when every line of the block is older than the tail ring (replayed repeats far above this block):
     * "", as for a new block (growth.on_hit). */
    PyObject *last = count > 0 ? Py_NewRef(PyList_GET_ITEM(texts, count - 1)) : PyUnicode_New(0, 0);
    if (last == NULL) goto fail;
    /* The hit is detail under a header (the block's message ends with a colon, the hit is indented): the header
     * still rules. */
    last_text = get_attr(cand, "last_text", &n_last_text);
    if (last_text == NULL) goto fail_last;
    int keep = truth_of(PyObject_CallOneArg(helper_announces_detail, last_text));
    if (keep < 0) goto fail_last;
    if (keep) {
        stripped = PyObject_CallOneArg(helper_strip_prefix, last);
        if (stripped == NULL) goto fail_last;
        if (!PyUnicode_Check(stripped)) {
            PyErr_SetString(PyExc_TypeError, "join_hit: strip_prefix must return a str");
            goto fail_last;
        }
        keep = PyUnicode_GET_LENGTH(stripped) > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(stripped, 0));
    }
    if (!keep && set_attr(cand, "last_text", &n_last_text, last) < 0) goto fail_last;
    hits = get_attr(cand, "hits", &n_hits);
    if (hits == NULL || PyList_Append(hits, hit) < 0) goto fail_last;
    int settled = ends_section(cand, until, last);
    if (settled < 0 || set_attr(cand, "settled", &n_settled, settled ? Py_True : Py_False) < 0) goto fail_last;
    if (section) { /* cand.section = cand.section or hit.section */
        if (set_attr(cand, "section", &n_section, Py_True) < 0) goto fail_last;
    } else {
        PyObject *was = get_attr(cand, "section", &n_section);
        if (was == NULL) goto fail_last;
        int truth = PyObject_IsTrue(was);
        failed = truth < 0 || (!truth && set_attr(cand, "section", &n_section, Py_False) < 0);
        Py_DECREF(was);
        if (failed) goto fail_last;
    }
    result = Py_NewRef(Py_True);
fail_last:
    Py_DECREF(last);
fail:
    Py_XDECREF(until);
    Py_XDECREF(texts);
    Py_XDECREF(last_text);
    Py_XDECREF(hits);
    Py_XDECREF(stripped);
    return result;
}

/* ------------------------------------------------------------------------------------------------------------
 * count_repeats(numbers, starts, keys, rules, index, first_line, step, repeats, ghosts, max_section,
 *               continuation_reach) -> index
 *
 * The engine's hot path in a dense log (worker/analysis/scan.py), for selected lines from `index` on while no
 * block is open: a line whose rule is plain (`rule.plain`) and whose repeat key has a first occurrence
 * (`repeats[rule][key]`) is counted on it and becomes a ghost; the first other line stops the run and its index
 * is returned. Exactly fastpath.count_repeats_python, with two shortcuts that give the same state:
 *
 * - Hit.repeated is called once per first occurrence and run, with the run's last line, and `repeats` is then
 *   raised by the other lines: the step is the same for the whole run, so the calls before it only set the
 *   same echo key again;
 * - ghosts are appended only when they survive the run (the deque is cleared when a line is beyond the last
 *   ghost's reach, and keeps `max_section` lines): which ones do is decided on their line numbers first.
 */

typedef struct {
    PyObject *first; /* borrowed: held by `repeats` */
    Py_ssize_t count;
    Py_ssize_t last_line;
} Counted;

#define MAX_COUNTED 64

static int apply_counted(Counted *counted, Py_ssize_t n, PyObject *step) {
    static PyObject *repeated_name = NULL, *repeats_name = NULL;
    if (repeated_name == NULL) {
        repeated_name = PyUnicode_InternFromString("repeated");
        repeats_name = PyUnicode_InternFromString("repeats");
        if (repeated_name == NULL || repeats_name == NULL) return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyLong_FromSsize_t(counted[i].last_line);
        if (line == NULL) return -1;
        PyObject *done = PyObject_CallMethodObjArgs(counted[i].first, repeated_name, line, step, NULL);
        Py_DECREF(line);
        if (done == NULL) return -1;
        Py_DECREF(done);
        if (counted[i].count > 1) {
            PyObject *before = PyObject_GetAttr(counted[i].first, repeats_name);
            if (before == NULL) return -1;
            PyObject *extra = PyLong_FromSsize_t(counted[i].count - 1);
            PyObject *after = extra ? PyNumber_Add(before, extra) : NULL;
            Py_DECREF(before);
            Py_XDECREF(extra);
            if (after == NULL) return -1;
            int failed = PyObject_SetAttr(counted[i].first, repeats_name, after);
            Py_DECREF(after);
            if (failed < 0) return -1;
        }
    }
    return 0;
}

/* (line, reach) of ghost `j`: an old one from the deque, or one of this run. */
static int ghost_at(PyObject *ghosts, Py_ssize_t old, const Py_ssize_t *lines, const Py_ssize_t *reaches,
                    Py_ssize_t j, Py_ssize_t *line, Py_ssize_t *reach) {
    if (j >= old) {
        *line = lines[j - old];
        *reach = reaches[j - old];
        return 0;
    }
    PyObject *ghost = PySequence_GetItem(ghosts, j);
    if (ghost == NULL) return -1;
    PyObject *a = PySequence_GetItem(ghost, 0), *b = PySequence_GetItem(ghost, 5);
    Py_DECREF(ghost);
    if (a == NULL || b == NULL) {
        Py_XDECREF(a);
        Py_XDECREF(b);
        return -1;
    }
    *line = PyLong_AsSsize_t(a);
    *reach = PyLong_AsSsize_t(b);
    Py_DECREF(a);
    Py_DECREF(b);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *count_repeats(PyObject *module, PyObject *args) {
    PyObject *numbers, *starts, *keys, *rules, *repeats, *ghosts;
    Py_ssize_t index, first_line, step, max_section, continuation_reach;
    if (!PyArg_ParseTuple(args, "O!O!O!O!nnnO!Onn:count_repeats", &PyList_Type, &numbers, &PyList_Type, &starts,
                          &PyList_Type, &keys, &PyList_Type, &rules, &index, &first_line, &step, &PyDict_Type,
                          &repeats, &ghosts, &max_section, &continuation_reach)) {
        return NULL;
    }
    static PyObject *plain_name = NULL, *section_name = NULL, *until_name = NULL, *append_name = NULL;
    if (plain_name == NULL) {
        append_name = PyUnicode_InternFromString("append");
        plain_name = PyUnicode_InternFromString("plain");
        section_name = PyUnicode_InternFromString("section");
        until_name = PyUnicode_InternFromString("until");
        if (append_name == NULL || plain_name == NULL || section_name == NULL || until_name == NULL) return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(numbers);
    if (PyList_GET_SIZE(starts) != count || PyList_GET_SIZE(keys) != count || PyList_GET_SIZE(rules) != count) {
        PyErr_SetString(PyExc_ValueError, "count_repeats: numbers, starts, keys and rules differ in length");
        return NULL;
    }
    if (index < 0) index = 0;
    Py_ssize_t begin = index;
    /* First pass: how far the run goes, and each line's first occurrence and reach. */
    Py_ssize_t capacity = count - index > 0 ? count - index : 1;
    Py_ssize_t *lines = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)capacity);
    Py_ssize_t *reaches = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)capacity);
    PyObject **firsts = PyMem_Malloc(sizeof(PyObject *) * (size_t)capacity);
    PyObject *step_obj = NULL;
    PyObject *result = NULL;
    if (lines == NULL || reaches == NULL || firsts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *last_rule = NULL, *known = NULL;
    Py_ssize_t reach = 0;
    int plain = 0;
    for (; index < count; index++) {
        PyObject *rule = PyList_GET_ITEM(rules, index);
        if (rule != last_rule) { /* a few rules repeat over and over: their attributes are read once */
            last_rule = rule;
            PyObject *value = PyObject_GetAttr(rule, plain_name);
            if (value == NULL) goto done;
            plain = PyObject_IsTrue(value);
            Py_DECREF(value);
            if (plain < 0) goto done;
            if (!plain) break;
            PyObject *section = PyObject_GetAttr(rule, section_name);
            if (section == NULL) goto done;
            int wide = PyObject_IsTrue(section);
            Py_DECREF(section);
            if (wide == 0) {
                PyObject *until = PyObject_GetAttr(rule, until_name);
                if (until == NULL) goto done;
                wide = PyObject_IsTrue(until);
                Py_DECREF(until);
            }
            if (wide < 0) goto done;
            reach = wide ? max_section : continuation_reach;
            known = PyDict_GetItemWithError(repeats, rule); /* borrowed */
            if (known == NULL && PyErr_Occurred()) goto done;
        }
        if (!plain || known == NULL || !PyDict_Check(known)) break;
        PyObject *first = PyDict_GetItemWithError(known, PyList_GET_ITEM(keys, index)); /* borrowed */
        if (first == NULL) {
            if (PyErr_Occurred()) goto done;
            break;
        }
        if (first == Py_None) break;
        Py_ssize_t number = PyLong_AsSsize_t(PyList_GET_ITEM(numbers, index));
        if (number == -1 && PyErr_Occurred()) goto done;
        lines[index - begin] = first_line + number;
        reaches[index - begin] = reach;
        firsts[index - begin] = first;
    }
    Py_ssize_t run = index - begin;
    if (run == 0) {
        result = PyLong_FromSsize_t(index);
        goto done;
    }
    step_obj = PyLong_FromSsize_t(step);
    if (step_obj == NULL) goto done;
    /* The counts, on each first occurrence. */
    Counted counted[MAX_COUNTED];
    Py_ssize_t distinct = 0;
    for (Py_ssize_t k = 0; k < run; k++) {
        Py_ssize_t c = 0;
        while (c < distinct && counted[c].first != firsts[k]) c++;
        if (c == distinct) {
            if (distinct == MAX_COUNTED) {
                if (apply_counted(counted, distinct, step_obj) < 0) goto done;
                distinct = c = 0;
            }
            counted[c].first = firsts[k];
            counted[c].count = 0;
            distinct++;
        }
        counted[c].count++;
        counted[c].last_line = lines[k];
    }
    if (apply_counted(counted, distinct, step_obj) < 0) goto done;
    /* The ghosts: the old ones (in the deque) then this run's, as one sequence; `head` is the first alive. */
    Py_ssize_t old = PyObject_Length(ghosts);
    if (old < 0) goto done;
    Py_ssize_t head = 0, tail = old;
    for (Py_ssize_t k = 0; k < run; k++) {
        Py_ssize_t line = lines[k], other_line, other_reach;
        if (tail > head) {
            if (ghost_at(ghosts, old, lines, reaches, tail - 1, &other_line, &other_reach) < 0) goto done;
            if (line - other_line > other_reach) head = tail;
        }
        tail++;
        for (;;) {
            if (ghost_at(ghosts, old, lines, reaches, head, &other_line, &other_reach) < 0) goto done;
            if (line - other_line <= max_section) break;
            head++;
        }
    }
    PyObject *call = NULL;
    if (head >= old) {
        call = PyObject_CallMethod(ghosts, "clear", NULL);
        if (call == NULL) goto done;
        Py_DECREF(call);
    } else {
        for (Py_ssize_t k = 0; k < head; k++) {
            call = PyObject_CallMethod(ghosts, "popleft", NULL);
            if (call == NULL) goto done;
            Py_DECREF(call);
        }
    }
    for (Py_ssize_t k = (head > old ? head - old : 0); k < run; k++) {
        Py_ssize_t i = begin + k;
        PyObject *ghost = Py_BuildValue("(nOOnOn)", lines[k], PyList_GET_ITEM(rules, i), firsts[k], step,
                                        PyList_GET_ITEM(starts, i), reaches[k]);
        if (ghost == NULL) goto done;
        call = PyObject_CallMethodOneArg(ghosts, append_name, ghost); /* not CallMethod: a tuple is its args */
        Py_DECREF(ghost);
        if (call == NULL) goto done;
        Py_DECREF(call);
    }
    result = PyLong_FromSsize_t(index);

done:
    PyMem_Free(lines);
    PyMem_Free(reaches);
    PyMem_Free(firsts);
    Py_XDECREF(step_obj);
    return result;
}

static PyMethodDef methods[] = {
    {"strip_ansi", strip_ansi, METH_O,
     "strip_ansi(data) -> bytes\n\nThe bytes without terminal escape sequences (see worker.analysis.reader)."},
    {"select_lines", select_lines, METH_VARARGS,
     "select_lines(data, ends) -> (newlines, numbers, starts, lines, keys)\n\n"
     "The distinct lines holding the last byte of each match (see worker.analysis.fastpath)."},
    {"line_text", line_text, METH_VARARGS,
     "line_text(data, start) -> (text | None, end)\n\n"
     "The cleaned text of the line at `start` when it is a plain decode, else None (see worker.analysis.lines)."},
    {"count_repeats", count_repeats, METH_VARARGS,
     "count_repeats(numbers, starts, keys, rules, index, first_line, step, repeats, ghosts, max_section, "
     "continuation_reach) -> index\n\n"
     "Counts the run of repeats from `index` on while no block is open (see worker.analysis.fastpath)."},
    {"set_clean_line", set_clean_line, METH_O, "set_clean_line(clean_line): reader.clean_line, for BlockLines."},
    {"set_continuation", set_continuation, METH_VARARGS,
     "set_continuation(continues, is_blank, section_end, ends_section, announces_detail, strip_prefix, "
     "max_section_lines, max_block_lines, max_continuation, merge_gap, allow_blank_in_message): what continue_block asks Python (see worker.analysis.growth)."},
    {"continue_block", continue_block, METH_VARARGS,
     "continue_block(cand, lines, last_line, tail): growth.continue_block over a BlockLines."},
    {"message_start", message_start, METH_VARARGS,
     "message_start(lines, line, floor, max_header, tail) -> first: growth._message_start over a BlockLines."},
    {"join_hit", join_hit, METH_VARARGS,
     "join_hit(cand, lines, line, section, hit, tail) -> bool: growth.on_hit with a block open (see growth)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fast", "The analysis engine's hot loop over log bytes, compiled.", -1, methods,
};

PyMODINIT_FUNC PyInit__fast(void) {
    if (PyType_Ready(&EndsType) < 0 || PyType_Ready(&PatternsType) < 0 || PyType_Ready(&MatchesType) < 0 ||
        PyType_Ready(&BlockLinesType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Ends", (PyObject *)&EndsType) < 0 ||
        PyModule_AddObjectRef(m, "Patterns", (PyObject *)&PatternsType) < 0 ||
        PyModule_AddObjectRef(m, "Matches", (PyObject *)&MatchesType) < 0 ||
        PyModule_AddObjectRef(m, "BlockLines", (PyObject *)&BlockLinesType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
