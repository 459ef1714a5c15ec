#include "daemon/config/did_you_mean.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"

namespace pfd::config {
namespace {

std::string normalized(absl::string_view word) {
  std::string result;
  for (char c : word) {
    if (c != '_' && c != '-') {
      result.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  return result;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("nmae"), the
// most common typo in a key.
size_t editDistance(absl::string_view a, absl::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<absl::string_view> closestMatch(absl::string_view word,
                                              std::span<const absl::string_view> candidates) {
  std::string wanted = normalized(word);
  // Short keys tolerate one typo, longer ones a few more; beyond that a suggestion is a guess.
  size_t best_distance = std::max<size_t>(1, wanted.size() / 4) + 1;
  std::optional<absl::string_view> best;
  for (absl::string_view candidate : candidates) {
    size_t distance = editDistance(wanted, normalized(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace pfd::config
