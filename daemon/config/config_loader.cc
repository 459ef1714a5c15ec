#include "daemon/config/config_loader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/config/diagnostics.h"
#include "daemon/config/forward_defaults.h"
#include "daemon/config/forward_list_checks.h"
#include "daemon/config/forward_parser.h"
#include "daemon/config/key_schema.h"
#include "daemon/config/mapping_reader.h"
#include "daemon/config/metrics_parser.h"
#include "daemon/config/status_macros.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {
namespace {

// A config file lists a handful of forwards; anything this large is the wrong file.
constexpr off_t kMaxConfigBytes = 1 << 20;

constexpr absl::string_view kStartHint =
    "write a mapping with a forwards: list (config/example.yaml is a commented example)";

// Tabs are the most common cause of a baffling yaml-cpp message ("illegal block entry").
bool indentedWithTab(std::string_view yaml, const YAML::Mark& mark) {
  if (mark.is_null()) {
    return false;
  }
  size_t start = 0;
  for (int line = 0; line < mark.line && start != std::string_view::npos; ++line) {
    start = yaml.find('\n', start);
    start = start == std::string_view::npos ? start : start + 1;
  }
  if (start == std::string_view::npos) {
    return false;
  }
  size_t indent_end = yaml.find_first_not_of(" \t", start);
  std::string_view indent = yaml.substr(
      start, indent_end == std::string_view::npos ? std::string_view::npos : indent_end - start);
  return indent.find('\t') != std::string_view::npos;
}

// Where each document's content starts, one document at a time. YAML::LoadAll is not safe on
// Debian's yaml-cpp 0.7: a document that starts with a stray "," ("," or ",a: b") comes back empty
// without the comma being consumed, so LoadAll appends empty documents forever (found by
// tests/fuzz/config_loader_fuzzer; jbeder/yaml-cpp#1040, fixed upstream in 2024 by #1319).
class DocumentStarts : public YAML::EventHandler {
 public:
  // Stops at the third document (the loader refuses a second one anyway; the third tells a
  // second that is real from the parser standing still) and throws YAML::Exception for a syntax
  // error on the way, as LoadAll does.
  explicit DocumentStarts(std::string_view yaml) {
    std::istringstream stream{std::string(yaml)};
    YAML::Parser parser(stream);
    while (documents_.size() < 3 && !stuckAt().has_value() && parser.HandleNextDocument(*this)) {
    }
  }

  size_t count() const { return documents_.size(); }
  // The mark of the second document's first node.
  const YAML::Mark& second() const { return documents_[1].content; }
  // The token the parser cannot get past: it handed back two documents starting there.
  std::optional<YAML::Mark> stuckAt() const {
    for (size_t i = 1; i < documents_.size(); ++i) {
      if (documents_[i - 1].start.pos == documents_[i].start.pos) {
        return documents_[i].start;
      }
    }
    return std::nullopt;
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    documents_.push_back({.start = mark, .content = mark});
    content_seen_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  struct Document {
    YAML::Mark start;
    YAML::Mark content;
  };

  void node(const YAML::Mark& mark) {
    if (!content_seen_) {
      documents_.back().content = mark;
      content_seen_ = true;
    }
  }

  std::vector<Document> documents_;
  bool content_seen_ = false;
};

// yaml-cpp reports syntax errors (and a few others) by throwing; this is where they become a
// Status with the position yaml-cpp found.
absl::StatusOr<YAML::Node> loadDocument(std::string_view yaml, const Diagnostics& diagnostics) {
  YAML::Node root;
  try {
    const DocumentStarts documents(yaml);
    if (const std::optional<YAML::Mark> stuck = documents.stuckAt(); stuck.has_value()) {
      const bool comma = static_cast<size_t>(stuck->pos) < yaml.size() && yaml[stuck->pos] == ',';
      return diagnostics.error(
          *stuck, "",
          comma ? "invalid YAML: a \",\" outside [ ] or { }; remove it, or put the items it "
                  "separates in brackets"
                : "invalid YAML: unexpected token; check the indentation, colons and quotes here");
    }
    if (documents.count() > 1) {
      return diagnostics.error(documents.second(), "",
                               "a second YAML document starts here; pfd reads a single document, "
                               "so remove the \"---\" line and merge the two");
    }
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return diagnostics.error(error.mark, "",
                             absl::StrCat("invalid YAML: ", error.msg, "; ",
                                          indentedWithTab(yaml, error.mark)
                                              ? "indent with spaces: YAML does not allow tabs"
                                              : "check the indentation, colons and quotes here"));
  }
  if (root.IsNull()) {
    return diagnostics.error(YAML::Mark::null_mark(), "",
                             absl::StrCat("the file is empty; ", kStartHint));
  }
  return root;
}

// Reads the document into `config`, adding every problem to `errors` in file order. Each forward
// entry is read on its own, so a mistake in one does not hide the next; within one entry (and
// within the top level or defaults:) the first problem is the one reported, since the later ones
// often follow from it. Forwards are compared with the earlier entries that read cleanly.
void readDocument(const YAML::Node& root, const Diagnostics& diagnostics, Config& config,
                  std::vector<absl::Status>& errors, size_t& entry_count) {
  if (!root.IsMap()) {
    errors.push_back(
        diagnostics.error(root, "", absl::StrCat("the top level is not a mapping; ", kStartHint)));
    return;
  }
  absl::StatusOr<MappingReader> top = MappingReader::open(root, topLevelShape(), "", diagnostics);
  if (!top.ok()) {
    errors.push_back(top.status());
    return;
  }
  config.path = diagnostics.file();
  if (absl::Status status = top->readBool("reloadOnChange", config.reload_on_change);
      !status.ok()) {
    errors.push_back(std::move(status));
  }
  // An empty `metrics:` (its lines commented out) leaves the endpoint off, as no `metrics:` does.
  if (top->has("metrics") && !top->value("metrics").IsNull()) {
    absl::StatusOr<MetricsConfig> metrics = [&]() -> absl::StatusOr<MetricsConfig> {
      PFD_ASSIGN_OR_RETURN(MappingReader metrics_reader, top->mapping("metrics"));
      return parseMetrics(metrics_reader);
    }();
    if (metrics.ok()) {
      config.metrics = *std::move(metrics);
    } else {
      errors.push_back(metrics.status());
    }
  }

  ForwardDefaults defaults;
  // An empty `defaults:` (every line commented out) is harmless. Broken defaults are reported
  // once; the forwards are then checked against the built-in defaults.
  if (top->has("defaults") && !top->value("defaults").IsNull()) {
    absl::StatusOr<ForwardDefaults> parsed = [&]() -> absl::StatusOr<ForwardDefaults> {
      PFD_ASSIGN_OR_RETURN(MappingReader defaults_reader, top->mapping("defaults"));
      return parseDefaults(defaults_reader);
    }();
    if (parsed.ok()) {
      defaults = *std::move(parsed);
    } else {
      errors.push_back(parsed.status());
    }
  }

  if (!top->has("forwards")) {
    errors.push_back(top->missing("forwards",
                                  "add a forwards: list with one entry per port-forward "
                                  "(forwards: [] for none)"));
    return;
  }
  absl::StatusOr<std::vector<absl::StatusOr<MappingReader>>> entries =
      top->mappingListEach("forwards");
  if (!entries.ok()) {
    errors.push_back(entries.status());
    return;
  }
  entry_count = entries->size();
  std::vector<ParsedForward> forwards;
  for (const absl::StatusOr<MappingReader>& entry : *entries) {
    if (!entry.ok()) {
      errors.push_back(entry.status());
      continue;
    }
    absl::StatusOr<ParsedForward> forward = parseForward(*entry, defaults, diagnostics);
    if (!forward.ok()) {
      errors.push_back(forward.status());
      continue;
    }
    if (absl::Status status = checkAgainstEarlier(forwards, *forward, diagnostics); !status.ok()) {
      errors.push_back(std::move(status));
      continue;
    }
    forwards.push_back(*std::move(forward));
  }
  for (ParsedForward& forward : forwards) {
    if (forward.notify.enabled) {
      config.notify[forward.spec.name] = forward.notify;
    }
    config.forwards.push_back(std::move(forward.spec));
  }
}

}  // namespace

ConfigCheck checkConfig(std::string_view yaml, std::string_view path_for_messages) {
  Diagnostics diagnostics(absl::string_view(path_for_messages.data(), path_for_messages.size()));
  ConfigCheck check;
  absl::StatusOr<YAML::Node> root = loadDocument(yaml, diagnostics);
  if (!root.ok()) {
    check.errors.push_back(root.status());
    return check;
  }
  try {
    readDocument(*root, diagnostics, check.config, check.errors, check.entries);
  } catch (const YAML::Exception& error) {
    // The walk only uses non-throwing accessors; this is a safety net, not a path we expect.
    check.errors.push_back(
        diagnostics.error(error.mark, "", absl::StrCat("cannot read this YAML: ", error.msg)));
  }
  return check;
}

absl::StatusOr<Config> parseConfig(std::string_view yaml, std::string_view path_for_messages) {
  ConfigCheck check = checkConfig(yaml, path_for_messages);
  if (!check.errors.empty()) {
    return check.errors.front();
  }
  return std::move(check.config);
}

namespace {

// The file's bytes: NotFound (with a hint) when it does not exist, PermissionDenied when it
// cannot be read, InvalidArgument for a directory or a file far too large for a forward list.
absl::StatusOr<std::string> readConfigBytes(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    int error = errno;
    if (error == ENOENT) {
      return absl::NotFoundError(absl::StrCat(
          "config file ", path,
          " does not exist; create it (config/example.yaml is a "
          "commented example, docs/config.md describes every field) or pass the path of an "
          "existing file"));
    }
    if (error == EACCES) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot reach config file ", path, ": ", std::strerror(error),
                       "; check the permissions of its directories"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read config file ", path, ": ", std::strerror(error)));
  }
  if (S_ISDIR(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path,
                     " is a directory; pass the path of the YAML file inside it, "
                     "e.g. ",
                     path, "/forwards.yaml"));
  }
  if (info.st_size > kMaxConfigBytes) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, " is ", info.st_size,
                                                   " bytes, more than the ", kMaxConfigBytes,
                                                   " a forward list needs; is it the right file?"));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::PermissionDeniedError(absl::StrCat("cannot open config file ", path, ": ",
                                                    std::strerror(errno),
                                                    "; make it readable by the user pfd runs as"));
  }
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read config file ", path, ": ", std::strerror(errno)));
  }
  return std::move(content).str();
}

}  // namespace

absl::StatusOr<Config> loadConfigFile(const std::string& path) {
  PFD_ASSIGN_OR_RETURN(std::string content, readConfigBytes(path));
  return parseConfig(content, path);
}

ConfigCheck checkConfigFile(const std::string& path) {
  absl::StatusOr<std::string> content = readConfigBytes(path);
  if (!content.ok()) {
    ConfigCheck check;
    check.errors.push_back(content.status());
    return check;
  }
  return checkConfig(*content, path);
}

}  // namespace pfd::config
