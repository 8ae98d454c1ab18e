//! Pattern suggestions against the held-out fixture, one binary.

use ppi_testkit as support;

mod suggestions;
