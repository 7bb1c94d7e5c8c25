# Copyright (c) distillbev contributors. All rights reserved.
