// The dotcompute namespace and its short alias `dc`.
#pragma once

namespace dotcompute {}

/// Short alias used throughout the examples: `dc::Buffer<float>`.
namespace dc = dotcompute;
