//! The `msrp` command. See the workspace README.

fn main() {
    eprintln!("msrp: the command-line front end is not built yet (see the issue tracker)");
    std::process::exit(2);
}
