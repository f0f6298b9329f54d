//! Cloud sources: what only a provider's API shows about a managed cluster (CIS EKS sections 2
//! and 5). Each yields `cloud` resources, ARN-identified and scoped to their account and region.

pub mod aws;
mod images;

pub use images::{EcrImage, ecr_images, images_in};
