// Errors about the document's shape: YAML syntax, keys, types and the top level.
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using ::testing::HasSubstr;
using testing::invalidAt;
using ::testing::Not;
using testing::parse;

TEST(YamlErrorsTest, SyntaxErrorBecomesInvalidArgumentWithPosition) {
  EXPECT_THAT(parse("forwards:\n  - name: [web\n    target: x\n"),
              invalidAt(3, 11, "invalid YAML: end of sequence flow not found"));
}

TEST(YamlErrorsTest, BadIndentationIsASyntaxError) {
  EXPECT_THAT(parse("forwards:\n  - name: web\n   target: x\n"), invalidAt(3, 4, "invalid YAML"));
}

TEST(YamlErrorsTest, TabIndentationGetsAHintAboutTabs) {
  EXPECT_THAT(parse("forwards:\n\t- name: a\n"),
              invalidAt(2, 2,
                        "invalid YAML: illegal block entry; indent with spaces: YAML does "
                        "not allow tabs"));
}

TEST(YamlErrorsTest, EmptyFileSaysWhatToWrite) {
  EXPECT_THAT(parse(""), invalidAt(1, 1, "the file is empty; write a mapping with a forwards:"));
  EXPECT_THAT(parse("# only a comment\n"), invalidAt(1, 1, "the file is empty"));
}

TEST(YamlErrorsTest, SecondDocumentIsRefused) {
  EXPECT_THAT(parse("forwards: []\n---\nforwards: []\n"),
              invalidAt(3, 1, "a second YAML document starts here"));
}

// Found by tests/fuzz/config_loader_fuzzer: yaml-cpp 0.7's LoadAll never returned on these (the
// test then fails on ctest's timeout).
TEST(YamlErrorsTest, AStrayCommaIsASyntaxErrorNotAHang) {
  const std::string hint = "invalid YAML: a \",\" outside [ ] or { }";
  EXPECT_THAT(parse(","), invalidAt(1, 1, hint));
  EXPECT_THAT(parse(",def-----,-s: []\n"), invalidAt(1, 1, hint));
  EXPECT_THAT(parse("# forwards\n  ,forwards: []\n"), invalidAt(2, 3, hint));
  EXPECT_THAT(parse("[a],"), invalidAt(1, 4, hint));
}

TEST(YamlErrorsTest, TopLevelMustBeAMapping) {
  EXPECT_THAT(parse("- name: web\n"), invalidAt(1, 1, "the top level is not a mapping"));
}

TEST(YamlErrorsTest, MissingForwardsIsReported) {
  EXPECT_THAT(parse("reloadOnChange: true\n"),
              invalidAt(1, 1, "missing \"forwards\"; add a forwards: list"));
}

TEST(YamlErrorsTest, ForwardsMustBeAList) {
  EXPECT_THAT(parse("forwards: web\n"), invalidAt(1, 11, "forwards: is \"web\"; write a list"));
  EXPECT_THAT(parse("forwards:\n"), invalidAt(1, 1, "forwards: is empty (null); write a list"));
  EXPECT_THAT(parse("forwards:\n  name: web\n"), invalidAt(2, 3, "forwards: is a mapping"));
}

TEST(YamlErrorsTest, UnknownTopLevelKeySuggestsTheClosestOne) {
  EXPECT_THAT(parse("forwards: []\nreloadOnChnage: false\n"),
              invalidAt(2, 1,
                        "reloadOnChnage: unknown key; did you mean \"reloadOnChange\"? the top "
                        "level accepts: reloadOnChange, metrics, defaults, forwards"));
}

TEST(YamlErrorsTest, UnknownKeyInAForwardSuggestsTheClosestOne) {
  EXPECT_THAT(parse("forwards:\n  - name: web\n    target: web\n    ports: [\"80\"]\n"
                    "    namspace: shop\n"),
              invalidAt(5, 5, "forwards[0].namspace: unknown key; did you mean \"namespace\"?"));
}

TEST(YamlErrorsTest, SnakeCaseSpellingSuggestsTheCamelCaseKey) {
  EXPECT_THAT(parse("forwards:\n  - name: web\n    target: web\n    ports: [\"80\"]\n"
                    "    readiness: {tcpSocket: {}, initial_delay_seconds: 3}\n"),
              invalidAt(5, 32,
                        "forwards[0].readiness.initial_delay_seconds: unknown key; did you mean "
                        "\"initialDelaySeconds\"?"));
}

TEST(YamlErrorsTest, UnknownKeyFarFromAnyOtherHasNoSuggestion) {
  EXPECT_THAT(parse("defaults: {backoff: {color: red}}\nforwards: []\n"),
              testing::invalidWith("defaults.backoff.color: unknown key; a backoff mapping "
                                   "accepts: initial, max, multiplier, jitter, resetAfter"));
  EXPECT_THAT(
      parse("defaults: {backoff: {color: red}}\nforwards: []\n"),
      pfd::testing::StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("did you mean"))));
}

TEST(YamlErrorsTest, UnknownKeysAreFoundAtEveryLevel) {
  EXPECT_THAT(parse("defaults: {readiness: {httpGet: {host: x}}}\nforwards: []\n"),
              invalidAt(1, 34, "defaults.readiness.httpGet.host: unknown key"));
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n"
                    "    readiness: {httpGet: {httpHeaders: [{name: a, value: b, x: c}]}}\n"),
              invalidAt(5, 61, "forwards[0].readiness.httpGet.httpHeaders[0].x: unknown key"));
  EXPECT_THAT(parse("forwards:\n  - name: w\n    target: w\n    ports: [\"80\"]\n"
                    "    readiness: {exec: {command: [a], args: [b]}}\n"),
              invalidAt(5, 38, "forwards[0].readiness.exec.args: unknown key"));
}

TEST(YamlErrorsTest, DuplicateKeyPointsAtTheSecondAndNamesTheFirstLine) {
  EXPECT_THAT(parse("forwards:\n  - name: web\n    target: web\n    ports: [\"80\"]\n"
                    "    name: api\n"),
              invalidAt(5, 5, "forwards[0].name: duplicate key (first at line 2)"));
  EXPECT_THAT(parse("forwards: []\nforwards: []\n"),
              invalidAt(2, 1, "forwards: duplicate key (first at line 1)"));
}

TEST(YamlErrorsTest, NonScalarKeyIsRefused) {
  EXPECT_THAT(parse("? [a, b]\n: c\nforwards: []\n"), invalidAt(1, 3, "a key is a list"));
}

TEST(YamlErrorsTest, ListWhereAStringBelongsIsATypeError) {
  EXPECT_THAT(parse("forwards:\n  - name: [web]\n    target: web\n    ports: [\"80\"]\n"),
              invalidAt(2, 11, "forwards[0].name: is a list; write a string"));
  EXPECT_THAT(parse("defaults: {namespace: {a: b}}\nforwards: []\n"),
              invalidAt(1, 23, "defaults.namespace: is a mapping; write a string"));
}

TEST(YamlErrorsTest, MappingExpectedButScalarGiven) {
  EXPECT_THAT(parse("defaults: fast\nforwards: []\n"),
              invalidAt(1, 11, "defaults: is \"fast\"; write the defaults mapping"));
  EXPECT_THAT(
      parse("forwards:\n  - web\n"),
      invalidAt(2, 5, "forwards[0]: is \"web\"; write a forward (a mapping of key: value)"));
}

TEST(YamlErrorsTest, EmptyStringValueNamesTheKeyPosition) {
  EXPECT_THAT(parse("defaults:\n  kubeconfig:\nforwards: []\n"),
              invalidAt(2, 3, "defaults.kubeconfig: has no value; write a string (quote a path"));
}

TEST(YamlErrorsTest, BooleansMustBeTrueOrFalse) {
  EXPECT_THAT(parse("reloadOnChange: yes\nforwards: []\n"),
              invalidAt(1, 17, "reloadOnChange: \"yes\" is not a boolean; write true or false"));
  EXPECT_THAT(parse("reloadOnChange: \"true\"\nforwards: []\n"),
              invalidAt(1, 17, "\"true\" is a quoted string; write true or false without quotes"));
  EXPECT_THAT(parse("reloadOnChange: [true]\nforwards: []\n"),
              invalidAt(1, 17, "is a list; write true or false"));
}

TEST(YamlErrorsTest, MergeKeysAreUnknownKeys) {
  // yaml-cpp does not implement YAML 1.1's "<<" merge key; say so rather than ignore it.
  EXPECT_THAT(parse("forwards:\n  - &w {name: a, target: a, ports: [\"1\"]}\n"
                    "  - {<<: *w, name: b}\n"),
              invalidAt(3, 6, "forwards[1].<<: unknown key"));
}

TEST(YamlErrorsTest, AliasesAreResolved) {
  EXPECT_THAT(parse("forwards:\n  - {name: a, target: a, ports: &p [\"1\"], address: 127.0.0.1}\n"
                    "  - {name: b, target: b, ports: *p, address: 127.0.0.2}\n"),
              ::pfd::testing::IsOk());
}

TEST(YamlErrorsTest, ExceptionsFromCyclicAliasesDoNotEscape) {
  // yaml-cpp builds a cycle for an alias inside its own anchor; the walk must stay bounded.
  EXPECT_THAT(parse("forwards: &f [*f]\n"), invalidAt(1, 11, "forwards[0]: is a list"));
}

}  // namespace
}  // namespace pfd::config
