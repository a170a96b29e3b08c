//! exposition: being written
