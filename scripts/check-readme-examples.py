#!/usr/bin/env python3
"""Validates every `acme/swift-cache` plugin entry in the README's yaml examples against
plugin.yml's configuration schema, as the Buildkite plugin linter does, so the documentation
never shows an option the agent would reject."""
import re
import sys

import jsonschema
import yaml

root = sys.argv[1] if len(sys.argv) > 1 else "."
schema = yaml.safe_load(open(f"{root}/plugin.yml"))["configuration"]
text = open(f"{root}/README.md").read()
checked = invalid = 0
for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
    document = yaml.safe_load(block)
    if not isinstance(document, dict):
        continue
    for step in document.get("steps", []):
        for plugin in step.get("plugins", []):
            for location, options in plugin.items():
                if not location.startswith("acme/swift-cache"):
                    continue
                checked += 1
                try:
                    jsonschema.validate(options, schema)
                except jsonschema.ValidationError as error:
                    invalid += 1
                    print(f"README example does not match plugin.yml: {error.message}\n  {options}")
print(f"{checked} README plugin examples checked, {invalid} invalid")
sys.exit(1 if invalid or not checked else 0)
