// Prints every key path the config parser accepts, one a line, for test_schema.py to compare
// with config/pfd.schema.json.
#include <iostream>
#include <string>

#include "daemon/config/key_schema.h"

int main() {
  for (const std::string& path : pfd::config::acceptedKeyPaths()) {
    std::cout << path << '\n';
  }
  return 0;
}
