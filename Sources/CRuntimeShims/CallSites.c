/* Call sites for verifier reports: capturing return addresses (cheap, on the tracking path) and
 * naming the driver's frame among them (costly, only when a report is written).
 *
 * Naming a frame:
 *   1. dladdr: the module (shared object or executable) and its load base. Frames in the module
 *      that holds this file, when that is a shared object (libWdf01000.so), and in the Swift
 *      runtime's libraries, belong to the library: skipped without further work.
 *   2. The module's ELF symbol table (.symtab, else .dynsym), read from its file: the function
 *      and the offset into it, also for static functions and executables linked without
 *      -rdynamic. Swift symbols of the library's modules (and nt_ helpers) are skipped.
 *   3. file:line from the module's DWARF, by running addr2line (binutils), else llvm-symbolizer,
 *      as a subprocess with a time limit (a report never hangs on it). Frames whose source is one
 *      of the library's own folders are skipped (a static link of the library into a program).
 *      WDF_SYMBOLIZER=off turns this step off; WDF_SYMBOLIZER=/path names the tool
 *      (addr2line-compatible: -f -C -e MODULE ADDRESS).
 * The first frame not skipped is the driver's. */
#define _GNU_SOURCE
#include "CRuntimeShims.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int nt_capture_stack(void **frames, int capacity) { return backtrace(frames, capacity); }

/* backtrace() loads libgcc_s on its first call: do it at load time, not in a signal handler. */
__attribute__((constructor)) static void nt_prime_backtrace(void) {
    void *frames[2];
    (void)backtrace(frames, 2);
}

/* ---- ELF symbol tables, one mapped file per module (kept for the life of the process) ---- */

struct nt_elf_module {
    uintptr_t base;
    const unsigned char *image;
    size_t size;
    const Elf64_Sym *symbols;
    size_t symbolCount;
    const char *strings;
    int isExecutable; /* ET_EXEC: addresses are absolute */
};

static pthread_mutex_t nt_sites_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nt_elf_module nt_modules[32];
static int nt_module_count;

static void nt_elf_load(struct nt_elf_module *module, const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) { close(fd); return; }
    void *image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (image == MAP_FAILED) return;
    const Elf64_Ehdr *header = image;
    size_t size = (size_t)st.st_size;
    if (memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64
        || header->e_shoff == 0 || header->e_shoff + (size_t)header->e_shnum * sizeof(Elf64_Shdr) > size) {
        munmap(image, size);
        return;
    }
    module->image = image;
    module->size = size;
    module->isExecutable = header->e_type == ET_EXEC;
    const Elf64_Shdr *sections = (const Elf64_Shdr *)((const unsigned char *)image + header->e_shoff);
    for (int pass = 0; pass < 2 && module->symbols == NULL; pass++) {
        Elf64_Word wanted = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
        for (int i = 0; i < header->e_shnum; i++) {
            const Elf64_Shdr *section = &sections[i];
            if (section->sh_type != wanted || section->sh_link >= header->e_shnum) continue;
            const Elf64_Shdr *strings = &sections[section->sh_link];
            if (section->sh_offset + section->sh_size > size || strings->sh_offset + strings->sh_size > size) continue;
            module->symbols = (const Elf64_Sym *)((const unsigned char *)image + section->sh_offset);
            module->symbolCount = section->sh_size / sizeof(Elf64_Sym);
            module->strings = (const char *)image + strings->sh_offset;
            break;
        }
    }
}

static struct nt_elf_module *nt_module_for(uintptr_t base, const char *path) {
    for (int i = 0; i < nt_module_count; i++) {
        if (nt_modules[i].base == base) return &nt_modules[i];
    }
    if (nt_module_count == (int)(sizeof nt_modules / sizeof nt_modules[0])) return NULL;
    struct nt_elf_module *module = &nt_modules[nt_module_count++];
    memset(module, 0, sizeof *module);
    module->base = base;
    nt_elf_load(module, path);
    return module;
}

/* The function symbol containing `address` (module-relative unless the module is ET_EXEC). */
static const char *nt_elf_function(const struct nt_elf_module *module, uintptr_t address, uintptr_t *offset) {
    if (module == NULL || module->symbols == NULL) return NULL;
    const Elf64_Sym *best = NULL;
    for (size_t i = 0; i < module->symbolCount; i++) {
        const Elf64_Sym *symbol = &module->symbols[i];
        if (ELF64_ST_TYPE(symbol->st_info) != STT_FUNC || symbol->st_value == 0 || symbol->st_shndx == SHN_UNDEF) continue;
        if (address < symbol->st_value) continue;
        uintptr_t end = symbol->st_value + (symbol->st_size ? symbol->st_size : 1);
        if (address >= end && symbol->st_size != 0) continue;
        if (best == NULL || symbol->st_value > best->st_value) best = symbol;
    }
    if (best == NULL) return NULL;
    *offset = address - best->st_value;
    return module->strings + best->st_name;
}

/* ---- file:line through a symbolizer subprocess, with a time limit ---- */

static int nt_run_symbolizer(const char *tool, const char *module, uintptr_t address, char *output, size_t capacity) {
    int pipes[2];
    if (pipe2(pipes, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipes[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    char hex[32];
    snprintf(hex, sizeof hex, "0x%lx", (unsigned long)address);
    int llvm = strstr(tool, "llvm-symbolizer") != NULL;
    char *argvAddr2line[] = {(char *)tool, "-f", "-C", "-e", (char *)module, hex, NULL};
    char *argvLlvm[] = {(char *)tool, "--output-style=GNU", "-f", "-C", "-e", (char *)module, hex, NULL};
    /* A child must not inherit our signal handlers' dispositions in a surprising way: the
     * default mask and dispositions are what posix_spawn gives with these attributes. */
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int failed = posix_spawnp(&pid, tool, &actions, &attributes, llvm ? argvLlvm : argvAddr2line, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(pipes[1]);
    if (failed != 0) { close(pipes[0]); return -1; }
    size_t used = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= 3000) { kill(pid, SIGKILL); used = 0; break; }
        struct pollfd poller = {.fd = pipes[0], .events = POLLIN};
        int ready = poll(&poller, 1, (int)(3000 - elapsed));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) { kill(pid, SIGKILL); used = 0; break; }
        ssize_t got = read(pipes[0], output + used, capacity - 1 - used);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        used += (size_t)got;
        if (used == capacity - 1) break;
    }
    output[used] = 0;
    close(pipes[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return used > 0 ? 0 : -1;
}

/* function and file:line for `address` in `module`; empty strings where unknown. */
static void nt_source_location(const char *module, uintptr_t address, char *function, size_t functionCapacity,
                               char *location, size_t locationCapacity) {
    function[0] = 0;
    location[0] = 0;
    const char *setting = getenv("WDF_SYMBOLIZER");
    if (setting != NULL && strcmp(setting, "off") == 0) return;
    const char *tools[3] = {NULL, "addr2line", "llvm-symbolizer"};
    if (setting != NULL && setting[0] != 0) tools[0] = setting;
    char output[2048];
    for (int i = 0; i < 3; i++) {
        if (tools[i] == NULL) continue;
        if (nt_run_symbolizer(tools[i], module, address, output, sizeof output) != 0) continue;
        char *newline = strchr(output, '\n');
        if (newline == NULL) continue;
        *newline = 0;
        char *second = newline + 1;
        char *end = strchr(second, '\n');
        if (end) *end = 0;
        char *discriminator = strstr(second, " (discriminator");
        if (discriminator) *discriminator = 0;
        if (strcmp(output, "??") != 0) snprintf(function, functionCapacity, "%s", output);
        /* "??:0", "??:?", "file:0" and "file:?" know no line. */
        char *colon = strrchr(second, ':');
        if (second[0] != '?' && colon != NULL && colon[1] >= '1' && colon[1] <= '9') {
            char cwd[1024];
            const char *path = second;
            if (getcwd(cwd, sizeof cwd) != NULL) {
                size_t length = strlen(cwd);
                if (strncmp(path, cwd, length) == 0 && path[length] == '/') path += length + 1;
            }
            snprintf(location, locationCapacity, "%s", path);
        }
        return;
    }
}

/* ---- frames ---- */

struct nt_frame {
    void *pc;
    int runtime;
    char module[128];
    uintptr_t moduleOffset;
    char function[256];
    uintptr_t functionOffset;
    int hasFunctionOffset;
    char location[512];
};

static struct nt_frame nt_frame_cache[128];
static int nt_frame_cache_count;
static int nt_frame_cache_next;

static int nt_has_runtime_prefix(const char *symbol) {
    /* The library, the Swift runtime, and a sanitizer's runtime (linked into the program under
       -fsanitize=address and the like: its interceptors of backtrace(), memset() ... stand
       between the driver and the library). */
    static const char *const prefixes[] = {"$s8NtKernel", "$s3Wdf", "$s6FltMgr", "$s8Wdf01000", "nt_",
                                           "$s13CRuntimeShims", "swift_", "$ss", "$sS",
                                           "__interceptor_", "___interceptor_", "__asan_", "__tsan_",
                                           "__ubsan_", "__lsan_", "__msan_", "__sanitizer_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (strncmp(symbol, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    }
    return 0;
}

static int nt_is_runtime_source(const char *location) {
    static const char *const folders[] = {"Sources/NtKernel/", "Sources/Wdf/", "Sources/FltMgr/", "Sources/Wdf01000/",
                                          "Sources/CRuntimeShims/", "<compiler-generated>", "/swift/stdlib/",
                                          "/compiler-rt/lib/"};
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
        if (strstr(location, folders[i]) != NULL) return 1;
    }
    return 0;
}

static uintptr_t nt_main_base(void) {
    static uintptr_t base;
    static int known;
    if (!known) {
        /* The main program's load base, from its link map. */
        struct link_map *map = NULL;
        void *self = dlopen(NULL, RTLD_NOW | RTLD_NOLOAD);
        if (self != NULL && dlinfo(self, RTLD_DI_LINKMAP, &map) == 0 && map != NULL) base = (uintptr_t)map->l_addr;
        known = 1;
    }
    return base;
}

/* Resolves one frame (from the cache when it was seen). Called with nt_sites_lock held. */
static const struct nt_frame *nt_resolve(void *pc, int wantLocation) {
    struct nt_frame *frame = NULL;
    for (int i = 0; i < nt_frame_cache_count; i++) {
        if (nt_frame_cache[i].pc == pc) { frame = &nt_frame_cache[i]; break; }
    }
    if (frame == NULL) {
        if (nt_frame_cache_count < (int)(sizeof nt_frame_cache / sizeof nt_frame_cache[0])) {
            frame = &nt_frame_cache[nt_frame_cache_count++];
        } else {
            frame = &nt_frame_cache[nt_frame_cache_next];
            nt_frame_cache_next = (nt_frame_cache_next + 1) % (int)(sizeof nt_frame_cache / sizeof nt_frame_cache[0]);
        }
        memset(frame, 0, sizeof *frame);
        frame->pc = pc;
        frame->location[0] = 2; /* not looked up */
        Dl_info info;
        memset(&info, 0, sizeof info);
        Dl_info self;
        memset(&self, 0, sizeof self);
        if (dladdr(pc, &info) == 0 || info.dli_fname == NULL) {
            snprintf(frame->module, sizeof frame->module, "?");
            frame->moduleOffset = (uintptr_t)pc;
            return frame;
        }
        uintptr_t base = (uintptr_t)info.dli_fbase;
        int isMain = base == nt_main_base() || info.dli_fname[0] == 0;
        const char *path = isMain ? "/proc/self/exe" : info.dli_fname;
        char executable[512];
        if (isMain) {
            ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
            executable[length > 0 ? length : 0] = 0;
        }
        const char *shown = isMain ? executable : info.dli_fname;
        const char *slash = strrchr(shown, '/');
        snprintf(frame->module, sizeof frame->module, "%s", slash ? slash + 1 : shown);
        frame->moduleOffset = (uintptr_t)pc - base;
        dladdr((void *)nt_capture_stack, &self);
        if (!isMain && self.dli_fbase == info.dli_fbase && (uintptr_t)self.dli_fbase != nt_main_base()) {
            frame->runtime = 1;
            return frame;
        }
        if (strncmp(frame->module, "libswift", 8) == 0 || strncmp(frame->module, "libdispatch", 11) == 0
            || strncmp(frame->module, "libFoundation", 13) == 0 || strncmp(frame->module, "libc.so", 7) == 0
            || strncmp(frame->module, "ld-linux", 8) == 0 || strncmp(frame->module, "libclang_rt", 11) == 0) {
            frame->runtime = 1;
            return frame;
        }
        struct nt_elf_module *module = nt_module_for(base, path);
        const struct nt_elf_module *image = module;
        uintptr_t address = (image && image->isExecutable) ? (uintptr_t)pc : frame->moduleOffset;
        uintptr_t offset = 0;
        const char *name = nt_elf_function(image, address, &offset);
        if (name == NULL && info.dli_sname != NULL) {
            name = info.dli_sname;
            offset = (uintptr_t)pc - (uintptr_t)info.dli_saddr;
        }
        if (name != NULL) {
            snprintf(frame->function, sizeof frame->function, "%s", name);
            frame->functionOffset = offset;
            frame->hasFunctionOffset = 1;
            if (nt_has_runtime_prefix(name)) frame->runtime = 1;
        }
    }
    if (wantLocation && !frame->runtime && frame->location[0] == 2) {
        frame->location[0] = 0;
        Dl_info info;
        if (dladdr(pc, &info) != 0) {
            uintptr_t base = (uintptr_t)info.dli_fbase;
            int isMain = base == nt_main_base() || info.dli_fname == NULL || info.dli_fname[0] == 0;
            struct nt_elf_module *module = nt_module_for(base, isMain ? "/proc/self/exe" : info.dli_fname);
            /* The call instruction is just before the return address. */
            uintptr_t address = ((module && module->isExecutable) ? (uintptr_t)pc : (uintptr_t)pc - base) - 1;
            char function[256];
            /* The symbolizer runs in another process: the main program by its real path. */
            char executable[512];
            const char *path = info.dli_fname;
            if (isMain) {
                ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
                executable[length > 0 ? length : 0] = 0;
                path = executable;
            }
            nt_source_location(path, address, function, sizeof function, frame->location, sizeof frame->location);
            if (frame->function[0] == 0 && function[0] != 0) snprintf(frame->function, sizeof frame->function, "%s", function);
            if (frame->location[0] != 0 && nt_is_runtime_source(frame->location)) frame->runtime = 1;
            if (frame->function[0] != 0 && nt_has_runtime_prefix(frame->function)) frame->runtime = 1;
        }
    }
    return frame;
}

/* The Swift runtime's demangler, when the process has it (every Swift program does). */
extern char *swift_demangle(const char *mangledName, size_t mangledNameLength, char *outputBuffer,
                            size_t *outputBufferSize, uint32_t flags) __attribute__((weak));

/* A Swift symbol's readable name (the runtime's demangler), else the symbol as it is. */
static const char *nt_readable(const char *symbol, char *buffer, size_t capacity) {
    if (swift_demangle == NULL || (strncmp(symbol, "$s", 2) != 0 && strncmp(symbol, "_$s", 3) != 0)) return symbol;
    char *demangled = swift_demangle(symbol, strlen(symbol), NULL, NULL, 0);
    if (demangled == NULL) return symbol;
    snprintf(buffer, capacity, "%s", demangled);
    free(demangled);
    return buffer;
}

static int nt_format_site(const struct nt_frame *frame, char *buffer, int capacity) {
    char readable[512];
    const char *function = nt_readable(frame->function, readable, sizeof readable);
    if (frame->function[0] != 0 && frame->location[0] != 0)
        return snprintf(buffer, (size_t)capacity, "%s (%s)", function, frame->location);
    if (frame->function[0] != 0 && frame->hasFunctionOffset)
        return snprintf(buffer, (size_t)capacity, "%s+0x%lx (%s)", function, (unsigned long)frame->functionOffset,
                        frame->module);
    return snprintf(buffer, (size_t)capacity, "%s+0x%lx", frame->module, (unsigned long)frame->moduleOffset);
}

int nt_describe_site(void *const *frames, int count, int exact, char *site, int siteCapacity, char *siteID, int idCapacity) {
    pthread_mutex_lock(&nt_sites_lock);
    const struct nt_frame *chosen = NULL;
    for (int i = 0; i < count; i++) {
        /* A faulting instruction's own address (exact) is looked up as is; a return address
         * one byte back (inside the call). */
        void *pc = frames[i];
        if (pc == NULL) continue;
        const struct nt_frame *frame = nt_resolve(exact && i == 0 ? (char *)pc + 1 : pc, 1);
        if (frame->runtime) continue;
        chosen = frame;
        break;
    }
    int length;
    if (chosen == NULL) {
        length = snprintf(site, (size_t)siteCapacity, "unknown");
        if (siteID && idCapacity > 0) snprintf(siteID, (size_t)idCapacity, "unknown");
    } else {
        length = nt_format_site(chosen, site, siteCapacity);
        if (siteID && idCapacity > 0)
            snprintf(siteID, (size_t)idCapacity, "%s+0x%lx", chosen->module, (unsigned long)chosen->moduleOffset);
    }
    pthread_mutex_unlock(&nt_sites_lock);
    return length;
}

int nt_describe_site_id(void *const *frames, int count, char *siteID, int idCapacity) {
    pthread_mutex_lock(&nt_sites_lock);
    const struct nt_frame *chosen = NULL;
    for (int i = 0; i < count && chosen == NULL; i++) {
        if (frames[i] == NULL) continue;
        const struct nt_frame *frame = nt_resolve(frames[i], 1);
        if (!frame->runtime) chosen = frame;
    }
    int length = chosen == NULL ? snprintf(siteID, (size_t)idCapacity, "unknown")
                                : snprintf(siteID, (size_t)idCapacity, "%s+0x%lx", chosen->module,
                                           (unsigned long)chosen->moduleOffset);
    pthread_mutex_unlock(&nt_sites_lock);
    return length;
}
