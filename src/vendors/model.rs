use crate::define_id;

define_id!(VendorId, "vendor");
