#include "daemon/config/mapping_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/config/did_you_mean.h"
#include "daemon/config/scalar_values.h"
#include "daemon/config/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace pfd::config {
namespace {

std::vector<absl::string_view> keyNames(const MappingShape& shape) {
  std::vector<absl::string_view> names;
  for (const KeySpec& key : shape.keys) {
    names.push_back(key.name);
  }
  return names;
}

// "a or b", "a, b or c".
std::string alternatives(std::span<const absl::string_view> choices) {
  if (choices.size() < 2) {
    return absl::StrJoin(choices, "");
  }
  return absl::StrCat(absl::StrJoin(choices.first(choices.size() - 1), ", "), " or ",
                      choices.back());
}

}  // namespace

absl::StatusOr<MappingReader> MappingReader::open(const YAML::Node& node, const MappingShape& shape,
                                                  std::string path,
                                                  const Diagnostics& diagnostics) {
  if (!node.IsMap()) {
    return diagnostics.error(node, path,
                             absl::StrCat("is ", describeNode(node), "; write ", shape.description,
                                          " (a mapping of key: value)"));
  }
  MappingReader reader(node, shape, std::move(path), diagnostics);
  PFD_RETURN_IF_ERROR(reader.checkKeys());
  return reader;
}

absl::Status MappingReader::checkKeys() {
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a temporary pair, and a Node is a cheap handle.
    YAML::Node key_node = it->first;
    YAML::Node value = it->second;
    if (!key_node.IsScalar()) {
      return diagnostics_->error(key_node, path_,
                                 absl::StrCat("a key is ", describeNode(key_node),
                                              "; keys must be plain words such as \"name\""));
    }
    const std::string& key = key_node.Scalar();
    if (const Entry* first = find(key); first != nullptr) {
      return diagnostics_->error(
          key_node, pathOf(key),
          absl::StrCat("duplicate key (first at line ", Diagnostics::lineOf(first->key_node.Mark()),
                       "); keep only one of them"));
    }
    if (shape_->find(key) == nullptr) {
      std::vector<absl::string_view> allowed = keyNames(*shape_);
      std::string suggestion;
      if (auto match = closestMatch(key, allowed); match.has_value()) {
        suggestion = absl::StrCat("did you mean \"", *match, "\"? ");
      }
      return diagnostics_->error(key_node, pathOf(key),
                                 absl::StrCat("unknown key; ", suggestion, shape_->description,
                                              " accepts: ", absl::StrJoin(allowed, ", ")));
    }
    entries_.push_back(Entry{key, key_node, value});
  }
  return absl::OkStatus();
}

const MappingReader::Entry* MappingReader::find(absl::string_view key) const {
  auto found = std::find_if(entries_.begin(), entries_.end(),
                            [key](const Entry& entry) { return entry.key == key; });
  return found == entries_.end() ? nullptr : &*found;
}

absl::StatusOr<const KeySpec*> MappingReader::declared(absl::string_view key) const {
  const KeySpec* spec = shape_->find(key);
  if (spec == nullptr) {
    return absl::InternalError(absl::StrCat("the config parser reads \"", pathOf(key),
                                            "\", which daemon/config/key_schema.cc does not "
                                            "declare; declare it there and in the JSON Schema"));
  }
  return spec;
}

bool MappingReader::has(absl::string_view key) const { return find(key) != nullptr; }

YAML::Node MappingReader::value(absl::string_view key) const {
  const Entry* entry = find(key);
  return entry == nullptr ? YAML::Node(YAML::NodeType::Undefined) : entry->value;
}

YAML::Mark MappingReader::markOf(absl::string_view key) const {
  const Entry* entry = find(key);
  if (entry == nullptr) {
    return node_.Mark();
  }
  return entry->value.IsNull() ? entry->key_node.Mark() : entry->value.Mark();
}

int MappingReader::lineOf(absl::string_view key) const {
  const Entry* entry = find(key);
  return Diagnostics::lineOf(entry == nullptr ? node_.Mark() : entry->key_node.Mark());
}

absl::Status MappingReader::errorAt(absl::string_view key, absl::string_view message) const {
  return diagnostics_->error(markOf(key), pathOf(key), message);
}

absl::Status MappingReader::errorHere(absl::string_view message) const {
  return diagnostics_->error(node_.Mark(), path_, message);
}

absl::Status MappingReader::missing(absl::string_view key, absl::string_view hint) const {
  return errorHere(absl::StrCat("missing \"", key, "\"; ", hint));
}

absl::Status MappingReader::wrap(absl::string_view key, const absl::Status& status) const {
  if (status.ok()) {
    return status;
  }
  return errorAt(key, status.message());
}

absl::StatusOr<MappingReader> MappingReader::mapping(absl::string_view key) const {
  PFD_ASSIGN_OR_RETURN(const KeySpec* spec, declared(key));
  if (spec->mapping == nullptr || spec->list_of_mappings) {
    return absl::InternalError(
        absl::StrCat(pathOf(key), " is not declared as a mapping in key_schema.cc"));
  }
  const Entry* entry = find(key);
  if (entry == nullptr || entry->value.IsNull()) {
    return errorAt(key, absl::StrCat("has no value; write ", spec->mapping->description,
                                     " (a mapping of key: value)"));
  }
  return open(entry->value, *spec->mapping, pathOf(key), *diagnostics_);
}

absl::StatusOr<std::vector<MappingReader>> MappingReader::mappingList(absl::string_view key) const {
  PFD_ASSIGN_OR_RETURN(std::vector<absl::StatusOr<MappingReader>> items, mappingListEach(key));
  std::vector<MappingReader> readers;
  for (absl::StatusOr<MappingReader>& item : items) {
    if (!item.ok()) {
      return item.status();
    }
    readers.push_back(*std::move(item));
  }
  return readers;
}

absl::StatusOr<std::vector<absl::StatusOr<MappingReader>>> MappingReader::mappingListEach(
    absl::string_view key) const {
  PFD_ASSIGN_OR_RETURN(const KeySpec* spec, declared(key));
  if (spec->mapping == nullptr || !spec->list_of_mappings) {
    return absl::InternalError(
        absl::StrCat(pathOf(key), " is not declared as a list of mappings in key_schema.cc"));
  }
  YAML::Node list = value(key);
  if (!list.IsSequence()) {
    return errorAt(key, absl::StrCat("is ", describeNode(list), "; write a list of ",
                                     spec->mapping->description,
                                     " entries (lines starting "
                                     "with \"- \"), or [] for none"));
  }
  std::vector<absl::StatusOr<MappingReader>> items;
  for (size_t i = 0; i < list.size(); ++i) {
    items.push_back(open(list[i], *spec->mapping, indexPath(pathOf(key), i), *diagnostics_));
  }
  return items;
}

absl::Status MappingReader::readString(absl::string_view key, std::string& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> text = scalarString(value(key));
  PFD_RETURN_IF_ERROR(wrap(key, text.status()));
  out = *std::move(text);
  return absl::OkStatus();
}

absl::Status MappingReader::readNonEmptyString(absl::string_view key, std::string& out) const {
  std::string text = out;
  PFD_RETURN_IF_ERROR(readString(key, text));
  if (has(key) && text.empty()) {
    return errorAt(key, "is empty; write a value or remove the key to use the default");
  }
  out = std::move(text);
  return absl::OkStatus();
}

absl::Status MappingReader::readBool(absl::string_view key, bool& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  absl::StatusOr<bool> flag = scalarBool(value(key));
  PFD_RETURN_IF_ERROR(wrap(key, flag.status()));
  out = *flag;
  return absl::OkStatus();
}

absl::Status MappingReader::readInt(absl::string_view key, int min, int& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  absl::StatusOr<int> number = scalarInt(value(key));
  PFD_RETURN_IF_ERROR(wrap(key, number.status()));
  if (*number < min) {
    return errorAt(key,
                   absl::StrCat(*number, " is too small; write a whole number of at least ", min));
  }
  out = *number;
  return absl::OkStatus();
}

absl::Status MappingReader::readNumber(absl::string_view key, double& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  absl::StatusOr<double> number = scalarNumber(value(key));
  PFD_RETURN_IF_ERROR(wrap(key, number.status()));
  out = *number;
  return absl::OkStatus();
}

absl::Status MappingReader::readDuration(absl::string_view key, core::Milliseconds& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  absl::StatusOr<core::Milliseconds> duration = scalarDuration(value(key));
  PFD_RETURN_IF_ERROR(wrap(key, duration.status()));
  out = *duration;
  return absl::OkStatus();
}

absl::Status MappingReader::readPositiveDuration(absl::string_view key,
                                                 core::Milliseconds& out) const {
  core::Milliseconds duration = out;
  PFD_RETURN_IF_ERROR(readDuration(key, duration));
  if (has(key) && duration <= core::Milliseconds(0)) {
    return errorAt(key, absl::StrCat("\"", value(key).Scalar(),
                                     "\" is not positive; write a duration of at least 1ms, "
                                     "such as 500ms or 30s"));
  }
  out = duration;
  return absl::OkStatus();
}

absl::Status MappingReader::readByteSize(absl::string_view key, uint64_t max, size_t& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> size = scalarByteSize(value(key));
  PFD_RETURN_IF_ERROR(wrap(key, size.status()));
  if (*size > max) {
    // "16Mi (16777216 bytes)", or "1000 bytes" when no suffix writes it whole.
    std::string largest = absl::StrCat(max, " bytes");
    if (max != 0 && max % (1 << 20) == 0) {
      largest = absl::StrCat(max >> 20, "Mi (", largest, ")");
    } else if (max != 0 && max % (1 << 10) == 0) {
      largest = absl::StrCat(max >> 10, "Ki (", largest, ")");
    }
    return errorAt(
        key, absl::StrCat("\"", value(key).Scalar(), "\" is too large; write at most ", largest));
  }
  out = static_cast<size_t>(*size);
  return absl::OkStatus();
}

absl::Status MappingReader::readChoice(absl::string_view key,
                                       std::span<const absl::string_view> choices,
                                       absl::string_view what, size_t& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  YAML::Node node = value(key);
  std::string hint = absl::StrCat("write ", alternatives(choices));
  if (!node.IsScalar()) {
    return errorAt(key, absl::StrCat("is ", describeNode(node), "; ", hint));
  }
  const std::string& text = node.Scalar();
  auto found = std::find(choices.begin(), choices.end(), text);
  if (found != choices.end()) {
    out = static_cast<size_t>(found - choices.begin());
    return absl::OkStatus();
  }
  std::string suggestion;
  if (auto match = closestMatch(text, choices); match.has_value()) {
    suggestion = absl::StrCat("did you mean \"", *match, "\"? ");
  }
  return errorAt(key, absl::StrCat("\"", text, "\" is not ", what, "; ", suggestion, hint));
}

absl::Status MappingReader::readCommand(absl::string_view key,
                                        std::vector<std::string>& out) const {
  PFD_RETURN_IF_ERROR(declared(key).status());
  if (!has(key)) {
    return absl::OkStatus();
  }
  YAML::Node list = value(key);
  constexpr absl::string_view kHint =
      "write the program and its arguments as a list, e.g. [\"ssh\", \"-N\", \"bastion\"]";
  if (!list.IsSequence()) {
    return errorAt(key, absl::StrCat("is ", describeNode(list), "; ", kHint));
  }
  if (list.size() == 0) {
    return errorAt(key, absl::StrCat("is empty; ", kHint));
  }
  std::vector<std::string> argv;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string item_path = indexPath(pathOf(key), i);
    absl::StatusOr<std::string> argument = scalarString(list[i]);
    YAML::Mark item_mark = Diagnostics::markOr(list[i], list.Mark());
    if (!argument.ok()) {
      return diagnostics_->error(item_mark, item_path, argument.status().message());
    }
    if (i == 0 && argument->empty()) {
      return diagnostics_->error(item_mark, item_path,
                                 "the program name is empty; write the program to run first");
    }
    argv.push_back(*std::move(argument));
  }
  out = std::move(argv);
  return absl::OkStatus();
}

}  // namespace pfd::config
