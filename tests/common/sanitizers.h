#pragma once

namespace pfd::testing {

// ThreadSanitizer checks every byte a test copies or compares, which makes bulk transfers tens of
// times slower. Tests that move volume for its own sake move less under it: the hand-offs it
// checks are the same with less data.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kUnderThreadSanitizer = true;
#else
inline constexpr bool kUnderThreadSanitizer = false;
#endif
#else
inline constexpr bool kUnderThreadSanitizer = false;
#endif

}  // namespace pfd::testing
