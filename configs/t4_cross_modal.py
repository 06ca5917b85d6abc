# MaxSight T4: T3 + audio branch fused by cross-attention and FiLM.
_base_ = ['./t3_cross_task.py']

model = dict(audio_fusion=dict(type='AudioFusion', channels=64, n_mels=32, levels=(1, 2)))
# every pipeline reads each image's audio features into the sample
pipeline_additions = [dict(after='LoadAnnotations', transform=dict(type='LoadAudioFeatures'))]
