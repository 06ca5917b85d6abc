from .trunk import (QUANT_MODES, calibrate, check_quantization_cfg, convert_trunk,
                    is_prepared, prepare_trunk)

__all__ = ['QUANT_MODES', 'calibrate', 'check_quantization_cfg', 'convert_trunk',
           'is_prepared', 'prepare_trunk']
