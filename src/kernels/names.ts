/** The project's kernel names, apart from their code: layer lowerings refer to them without loading it. */
export const BN_FORWARD = "NetcBnForward";
export const BN_BACKWARD = "NetcBnBackward";
export const AVG_POOL2_BACKWARD = "NetcAvgPool2Backward";
export const ACTIVATION = "NetcActivation";
export const CONV2D = "NetcConv2D";
export const CONV2D_BACKPROP_FILTER = "NetcConv2DBackpropFilter";
export const CONV2D_BACKPROP_INPUT = "NetcConv2DBackpropInput";
export const MAX_POOL_BACKWARD = "NetcMaxPoolBackward";
export const MOMENTS = "NetcMoments";
export const CHANNEL_SUMS = "NetcChannelSums";
export const CONCAT = "NetcConcat";
export const SPLIT = "NetcSplit";
export const SOFTMAX_CROSS_ENTROPY = "NetcSoftmaxCrossEntropy";
export const SGD_UPDATE = "NetcSgdUpdate";
export const MOVING_AVERAGE = "NetcMovingAverage";
export const ADAM_UPDATE = "NetcAdamUpdate";
