fn main() {
    offset_lab::start();
}
