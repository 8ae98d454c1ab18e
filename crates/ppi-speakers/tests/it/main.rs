//! The speaker models against their authors' implementations (torch, librosa), one binary.

use ppi_testkit as support;

mod reference;
