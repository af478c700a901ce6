# Loaded at the top of a bats file whose tests share one moto_server (a real S3 on loopback):
# it is started before the file's first test and stopped after its last (start_moto, stop_moto).
# shellcheck shell=bash

setup_file() {
  load helpers/common
  load helpers/hardening
  start_moto
}

teardown_file() {
  load helpers/common
  load helpers/hardening
  stop_moto
}
