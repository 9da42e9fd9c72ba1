pub fn seed_frame() -> Vec<u8> {
    unimplemented!()
}
