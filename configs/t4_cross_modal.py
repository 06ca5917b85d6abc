# MaxSight T4: T3 + stereo audio branch: per-column direction map, cross-attention and FiLM.
_base_ = ['./t3_cross_task.py']

# half_fov_deg: the camera's horizontal half field of view; set it for your own camera;
# beside_out: alerts to hazards heard beside the view (images' beside_hazards), fitted
# after training by the AnswerRefitHook T3 brings
model = dict(bbox_head=dict(beside_out=True),
             audio_fusion=dict(type='AudioFusion', channels=64, n_mels=32, levels=(1, 2),
                               half_fov_deg=43.0, direction_sigma=0.15))
# every pipeline reads each image's audio features into the sample
pipeline_additions = [dict(after='LoadAnnotations', transform=dict(type='LoadAudioFeatures'))]
