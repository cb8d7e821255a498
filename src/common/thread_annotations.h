#pragma once

// Clang's thread-safety attributes (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html)
// behind SESAME_ names, so the compiler checks what a `// guarded by mu_` comment only said.
// Clang checks them with -Wthread-safety (the CI's clang build, SESAME_THREAD_SAFETY=ON); other
// compilers see nothing. Use them with common/mutex.h: std::mutex carries no attributes in
// libstdc++, so the analysis cannot see a std::lock_guard.

#if defined(__clang__)
#define SESAME_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SESAME_THREAD_ANNOTATION(x)
#endif

// On a type: a lock (a "capability" named `x` in diagnostics).
#define SESAME_CAPABILITY(x) SESAME_THREAD_ANNOTATION(capability(x))
// On a type: an RAII holder of a lock (MutexLock).
#define SESAME_SCOPED_CAPABILITY SESAME_THREAD_ANNOTATION(scoped_lockable)
// On a member: read and written only with `x` held.
#define SESAME_GUARDED_BY(x) SESAME_THREAD_ANNOTATION(guarded_by(x))
// On a pointer member: what it points to is read and written only with `x` held.
#define SESAME_PT_GUARDED_BY(x) SESAME_THREAD_ANNOTATION(pt_guarded_by(x))
// On a function: the caller holds the lock(s).
#define SESAME_REQUIRES(...) SESAME_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// On a function: the caller must not hold the lock(s) (it takes them itself).
#define SESAME_EXCLUDES(...) SESAME_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: takes, or gives back, the lock(s) (no argument: `this`).
#define SESAME_ACQUIRE(...) SESAME_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define SESAME_RELEASE(...) SESAME_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define SESAME_TRY_ACQUIRE(...) SESAME_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// On a function returning a reference to a lock.
#define SESAME_RETURN_CAPABILITY(x) SESAME_THREAD_ANNOTATION(lock_returned(x))
// On a function the analysis cannot follow (say why where it is used).
#define SESAME_NO_THREAD_SAFETY_ANALYSIS SESAME_THREAD_ANNOTATION(no_thread_safety_analysis)
